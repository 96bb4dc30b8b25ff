"""Writes of the availability app: bumping the restaurant-day versions that invalidate snapshots, and
telling subscribers. Called on commit of every allocation or hold change (see invalidation.on_allocations_changed),
and of every hours change (invalidation.on_restaurant_hours_changed)."""

from __future__ import annotations

import time
from datetime import date, datetime

from assignments.context import DAY_SPAN
from availability import events
from availability.versions import days_touched, restaurant_tz, version_bump


def availability_invalidate(*, restaurant_id: int, start_at: datetime, end_at: datetime) -> dict[date, int]:
    """Bump the version of every service day whose snapshots could see [start_at, end_at); usually one day."""
    tz = restaurant_tz(restaurant_id)
    return {
        day: version_bump(restaurant_id=restaurant_id, day=day)
        for day in days_touched(tz=tz, start_at=start_at, end_at=end_at)
    }


def _changed_publish(
    *, restaurant_id: int, versions: dict[date, int], start_at: datetime, end_at: datetime
) -> dict[date, int]:
    """One `availability.changed` message carrying the days' new versions over [start_at, end_at)."""
    events.publish(
        restaurant_id,
        {
            "type": "availability.changed",
            "versions": {d.isoformat(): v for d, v in versions.items()},
            "start_at": start_at.isoformat(),
            "end_at": end_at.isoformat(),
            "at": time.time(),
        },
    )
    return versions


def availability_floor_changed(
    *, restaurant_id: int, start_at: datetime, end_at: datetime
) -> dict[date, int]:
    """Invalidate, then publish one message carrying the new versions."""
    versions = availability_invalidate(restaurant_id=restaurant_id, start_at=start_at, end_at=end_at)
    return _changed_publish(restaurant_id=restaurant_id, versions=versions, start_at=start_at, end_at=end_at)


def availability_days_changed(*, restaurant_id: int, days: list[date]) -> dict[date, int]:
    """Whole service days changed (their hours, or the bookings on them): bump each one's version, then publish
    one message carrying the new versions, over the days' span."""
    if not days:
        return {}
    versions = {day: version_bump(restaurant_id=restaurant_id, day=day) for day in sorted(set(days))}
    tz = restaurant_tz(restaurant_id)
    first, last = min(versions), max(versions)
    start_at = datetime(first.year, first.month, first.day, tzinfo=tz)
    end_at = datetime(last.year, last.month, last.day, tzinfo=tz) + DAY_SPAN
    return _changed_publish(restaurant_id=restaurant_id, versions=versions, start_at=start_at, end_at=end_at)
