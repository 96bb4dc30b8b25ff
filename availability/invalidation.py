"""Called (on commit) whenever allocations or holds change for a restaurant over a time range, so that
availability snapshots and subscribers learn of it. The availability app fills this in."""

from __future__ import annotations

from datetime import datetime


def floor_changed(*, restaurant_id: int, start_at: datetime, end_at: datetime) -> None:
    """Hook point: invalidate snapshots touching [start_at, end_at) and notify subscribers."""
