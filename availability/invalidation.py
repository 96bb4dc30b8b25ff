"""Called (on commit) whenever allocations or holds change for a restaurant over a time range, so that
availability snapshots and subscribers learn of it. The availability app fills this in."""

from __future__ import annotations

import logging
from datetime import datetime

logger = logging.getLogger("maitre.availability")


def floor_changed(*, restaurant_id: int, start_at: datetime, end_at: datetime) -> None:
    """Hook point: invalidate snapshots touching [start_at, end_at) and notify subscribers.

    Runs after the writer's commit, so it never raises: an unreachable cache costs at most the snapshots'
    short TTL in staleness, never a failed booking."""
    from availability.services import availability_floor_changed

    try:
        availability_floor_changed(restaurant_id=restaurant_id, start_at=start_at, end_at=end_at)
    except Exception:
        logger.exception("availability invalidation failed for restaurant %s", restaurant_id)
