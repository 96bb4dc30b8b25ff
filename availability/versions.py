"""Per restaurant-day versions of the floor's occupancy, kept in the Django cache.

A version only ever grows: it starts from the clock (milliseconds) when the key is missing, so a cache
that lost the key (restart, eviction) never hands out a version an older snapshot already carries.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache

from assignments.caches import caches_register
from assignments.context import DAY_SPAN

_TZ_CACHE: dict[str, ZoneInfo] = {}  # by name
_TZ_CACHE_SECONDS = 300
caches_register(_TZ_CACHE.clear, name="availability.versions._TZ_CACHE")


def version_key(restaurant_id: int, day: date) -> str:
    return f"avail:v:{restaurant_id}:{day.isoformat()}"


def _seed() -> int:
    return int(time.time() * 1000)


def version_get(*, restaurant_id: int, day: date) -> int:
    key = version_key(restaurant_id, day)
    value = cache.get(key)
    if value is None:
        cache.add(key, _seed(), timeout=None)
        value = cache.get(key)
    return (
        int(value) if value is not None else _seed()
    )  # Redis away: a fresh version, so nothing stale is served


def version_bump(*, restaurant_id: int, day: date) -> int:
    key = version_key(restaurant_id, day)
    try:
        value = cache.incr(key)
    except ValueError:
        cache.add(key, _seed(), timeout=None)
        value = cache.incr(key)
    return int(value) if value is not None else _seed()  # Redis away: the cache said nothing


def tz_key(restaurant_id: int) -> str:
    return f"avail:tz:{restaurant_id}"


def restaurant_tz(restaurant_id: int) -> ZoneInfo:
    """The restaurant's time zone, remembered for a few minutes in the shared cache (the hook must stay cheap)
    and forgotten at once, in every process, when it changes (tz_forget, on the zone change's commit)."""
    name = cache.get(tz_key(restaurant_id))
    if name is None:
        from assignments.models import Restaurant

        name = Restaurant.objects.filter(pk=restaurant_id).values_list("timezone", flat=True).first() or "UTC"
        cache.set(tz_key(restaurant_id), name, timeout=_TZ_CACHE_SECONDS)
    tz = _TZ_CACHE.get(name)
    if tz is None:
        tz = _TZ_CACHE[name] = ZoneInfo(name)
    return tz


def tz_forget(*, restaurant_id: int) -> None:
    cache.delete(tz_key(restaurant_id))


def days_touched(*, tz: ZoneInfo, start_at: datetime, end_at: datetime) -> list[date]:
    """Service days whose occupancy span [local midnight, +DAY_SPAN) overlaps [start_at, end_at)."""
    first = (start_at - DAY_SPAN).astimezone(tz).date()
    last = end_at.astimezone(tz).date()
    out = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        if midnight < end_at and midnight + DAY_SPAN > start_at:
            out.append(day)
        day += timedelta(days=1)
    return out
