"""Availability's subscriptions to `assignments.signals.allocations_changed`: whenever allocations or holds
change for a restaurant over a time range (sent on the writer's commit), snapshots touching it are
invalidated and subscribers told; and to `restaurant_timezone_changed` and `restaurant_hours_changed`. Connected in AvailabilityConfig.ready."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

logger = logging.getLogger("maitre.availability")


def on_allocations_changed(
    sender: Any, *, restaurant_id: int, start_at: datetime, end_at: datetime, **kwargs: Any
) -> None:
    """Runs after the writer's commit, so it never raises: an unreachable cache costs at most the snapshots'
    short TTL in staleness, never a failed booking."""
    from availability.services import availability_floor_changed

    try:
        availability_floor_changed(restaurant_id=restaurant_id, start_at=start_at, end_at=end_at)
    except Exception:
        logger.exception("availability invalidation failed for restaurant %s", restaurant_id)


def on_restaurant_timezone_changed(sender: Any, *, restaurant_id: int, **kwargs: Any) -> None:
    """The zone changed: forget the one remembered, so the next invalidation bumps the days of the new zone (the
    snapshots themselves are keyed on the schedule version, which the change bumped). Never raises."""
    from availability.versions import tz_forget

    try:
        tz_forget(restaurant_id=restaurant_id)
    except Exception:
        logger.exception("availability could not forget the time zone of restaurant %s", restaurant_id)


def on_restaurant_hours_changed(sender: Any, *, restaurant_id: int, days: list, **kwargs: Any) -> None:
    """The hours of these service days changed, or bookings moved between them: their snapshots are keyed on the
    schedule version, which the change bumped; their versions are bumped too and one message tells the stream's
    subscribers. Never raises."""
    from availability.services import availability_days_changed

    try:
        availability_days_changed(restaurant_id=restaurant_id, days=days)
    except Exception:
        logger.exception("availability could not hear of the new hours of restaurant %s", restaurant_id)
