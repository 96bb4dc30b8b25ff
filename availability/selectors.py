"""Reads of the availability app: which slots of a service day can seat a party, and with which plans.

A snapshot is one slot for one party size (and the accessible / include-holds flags). Snapshots are
cached per restaurant + slot and carry the restaurant-day version they were computed under, `as_of`
and `valid_until` (the first expiry of a hold they count). One that is older than
MAITRE["AVAILABILITY_MAX_AGE_SECONDS"], of an older version, or past its valid_until is recomputed;
the cache entry's TTL is the same short backstop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min

from assignments.context import engine_for, floor_state, from_minutes, occupancy_for_day
from assignments.engine import Floor, Occupancy
from assignments.models import Hold, Restaurant
from availability.versions import version_get, version_key

PARTY_TOO_LARGE = "party_too_large"
FULLY_BOOKED = "fully_booked"
NO_SERVICE = "no_service"


def max_age_seconds() -> float:
    return float(settings.MAITRE["AVAILABILITY_MAX_AGE_SECONDS"])


def _hhmm_minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def slots_for_day(*, restaurant: Restaurant) -> list[int]:
    """Slot starts in engine minutes (from local midnight): every slot_minutes step inside each service
    period, start included and end excluded; a period ending at or before its start runs past midnight."""
    out: set[int] = set()
    step = max(1, int(restaurant.slot_minutes))
    for period in restaurant.service_periods or ():
        start, end = _hhmm_minutes(period["start"]), _hhmm_minutes(period["end"])
        if end <= start:
            end += 24 * 60
        out.update(range(start, end, step))
    return sorted(out)


def snapshot_key(restaurant_id: int, day: date, minute: int, party_size: int, accessible: bool, include_holds: bool) -> str:
    return f"avail:s:{restaurant_id}:{day.isoformat()}:{minute}:{party_size}:{int(accessible)}:{int(include_holds)}"


@dataclass
class DayFloor:
    """What the computation of a day's snapshots reads: the floor and the day's occupancy (3 queries)."""

    floor: Floor
    occupancy: Occupancy
    valid_until: float | None  # epoch seconds of the first expiry of a counted hold

    def __post_init__(self) -> None:
        self._free: dict[tuple[int, int], frozenset[str]] = {}
        self._free_shapes: dict[tuple[int, int, bool], list] = {}

    def free_tables(self, start: int, end: int) -> frozenset[str]:
        key = (start, end)
        hit = self._free.get(key)
        if hit is None:
            occ = self.occupancy
            hit = frozenset(t for t in self.floor.table_ids if occ.is_free(t, start, end))
            self._free[key] = hit
        return hit

    def free_shapes(self, start: int, end: int, accessible: bool) -> list:
        """Every plan shape (not only one party's) whose tables are all free over [start, end)."""
        key = (start, end, accessible)
        hit = self._free_shapes.get(key)
        if hit is None:
            free = self.free_tables(start, end)
            hit = [
                c for c in self.floor.candidates
                if (c.accessible or not accessible) and all(t in free for t in c.tables)
            ]
            self._free_shapes[key] = hit
        return hit


def day_floor_load(*, restaurant: Restaurant, day: date, include_holds: bool) -> DayFloor:
    state = floor_state(restaurant=restaurant)
    floor = engine_for(restaurant=restaurant, floor=state.floor).floor  # its candidate shapes are cached
    occupancy, rows = occupancy_for_day(restaurant=restaurant, day=day, floor=floor, include_holds=include_holds)
    valid_until = None
    hold_ids = {r["hold_id"] for r in rows if r["hold_id"]}
    if hold_ids:
        first = Hold.objects.filter(pk__in=hold_ids).aggregate(first=Min("expires_at"))["first"]
        valid_until = first.timestamp() if first else None
    return DayFloor(floor=floor, occupancy=occupancy, valid_until=valid_until)


def _turn_groups(restaurant: Restaurant, largest: int) -> list[tuple[int, int, int]]:
    """Party sizes 1..largest grouped by turn time: (lowest, highest, turn minutes)."""
    groups: list[tuple[int, int, int]] = []
    for p in range(1, largest + 1):
        turn = restaurant.turn_for(p)
        if groups and groups[-1][2] == turn:
            groups[-1] = (groups[-1][0], p, turn)
        else:
            groups.append((p, p, turn))
    return groups


def snapshot_compute(
    *,
    restaurant: Restaurant,
    day: date,
    minute: int,
    party_size: int,
    accessible: bool,
    include_holds: bool,
    day_floor: DayFloor,
    version: int,
) -> dict[str, Any]:
    """One slot by the engine's candidate rules: Floor.candidates_for + every table free over
    [slot, slot + turn + buffer)."""
    floor = day_floor.floor
    buffer = restaurant.buffer_minutes
    end = minute + restaurant.turn_for(party_size) + buffer
    free = day_floor.free_tables(minute, end)
    rank = floor.zone_rank
    plans = sorted(
        (c for c in floor.candidates_for(party_size, accessible) if all(t in free for t in c.tables)),
        key=lambda c: (c.max_covers - party_size, c.size, rank[c.zone], c.tables),
    )
    floor_largest = max((c.max_covers for c in floor.candidates if c.accessible or not accessible), default=0)
    largest = 0
    for lo, hi, turn in _turn_groups(restaurant, floor_largest):
        for c in day_floor.free_shapes(minute, minute + turn + buffer, accessible):
            reach = min(c.max_covers, hi)
            if reach >= lo and (c.size > 1 or reach >= c.min_covers) and reach > largest:
                largest = reach
    now = time.time()
    return {
        "minute": minute,
        "start_at": from_minutes(restaurant, day, minute).isoformat(),
        "end_at": from_minutes(restaurant, day, end).isoformat(),
        "plans": [list(c.tables) for c in plans],
        "free_tables": sorted(free),
        "largest_party": largest,
        "floor_largest_party": floor_largest,
        "version": version,
        "as_of": now,
        "valid_until": day_floor.valid_until,
    }


def _fresh(snap: dict | None, version: int, now: float, max_age: float) -> bool:
    if snap is None or snap.get("version") != version or now - snap["as_of"] > max_age:
        return False
    valid_until = snap.get("valid_until")
    return valid_until is None or now < valid_until


def snapshots_for_slots(
    *,
    restaurant: Restaurant,
    day: date,
    minutes: list[int],
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> tuple[int, list[dict[str, Any]]]:
    """(version, snapshots in slot order). Warm: one cache round trip. Cold: three or four queries for the
    whole day, then one cache write."""
    vkey = version_key(restaurant.pk, day)
    keys = {m: snapshot_key(restaurant.pk, day, m, party_size, accessible, include_holds) for m in minutes}
    got = cache.get_many([vkey, *keys.values()])
    version = got.get(vkey)
    version = int(version) if version is not None else version_get(restaurant_id=restaurant.pk, day=day)
    now, max_age = time.time(), max_age_seconds()
    out: dict[int, dict] = {}
    missing = []
    for m, key in keys.items():
        snap = got.get(key)
        if _fresh(snap, version, now, max_age):
            out[m] = snap
        else:
            missing.append(m)
    if missing:
        # The version was read before the floor: a change committing meanwhile leaves these snapshots
        # under the old version, so they are recomputed on the next read (never the other way round).
        day_floor = day_floor_load(restaurant=restaurant, day=day, include_holds=include_holds)
        fresh = {}
        for m in missing:
            snap = snapshot_compute(
                restaurant=restaurant, day=day, minute=m, party_size=party_size, accessible=accessible,
                include_holds=include_holds, day_floor=day_floor, version=version,
            )
            out[m] = snap
            fresh[keys[m]] = snap
        cache.set_many(fresh, timeout=max_age)
    return version, [out[m] for m in minutes]


def availability_for_day(
    *,
    restaurant: Restaurant,
    day: date,
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> dict[str, Any]:
    """Every slot of the day at which the party can be seated, with the plans free there and per-slot
    figures; an empty answer says why."""
    minutes = slots_for_day(restaurant=restaurant)
    version, snaps = snapshots_for_slots(
        restaurant=restaurant, day=day, minutes=minutes, party_size=party_size, accessible=accessible,
        include_holds=include_holds,
    )
    seatable = [s for s in snaps if s["plans"]]
    reason = None
    floor_largest = snaps[0]["floor_largest_party"] if snaps else 0
    if not minutes:
        reason = NO_SERVICE
    elif party_size > floor_largest:
        reason = PARTY_TOO_LARGE
    elif not seatable:
        reason = FULLY_BOOKED
    as_of = min((s["as_of"] for s in snaps), default=time.time())
    return {
        "restaurant": restaurant.slug,
        "date": day.isoformat(),
        "party_size": party_size,
        "accessible": accessible,
        "include_holds": include_holds,
        "version": version,
        "as_of": as_of,
        "largest_party_on_floor": floor_largest,
        "reason": reason,
        "slots": seatable,
    }


def availability_for_slot(
    *,
    restaurant: Restaurant,
    start_at: datetime,
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> dict[str, Any]:
    """One slot's snapshot (the start need not be on the slot grid)."""
    day = restaurant.service_day_of(start_at)
    minute = restaurant.minute_of_day(start_at, day)
    _version, (snap,) = snapshots_for_slots(
        restaurant=restaurant, day=day, minutes=[minute], party_size=party_size, accessible=accessible,
        include_holds=include_holds,
    )
    return snap


def slot_start(restaurant: Restaurant, day: date, minute: int) -> datetime:
    return restaurant.local_midnight(day) + timedelta(minutes=minute)
