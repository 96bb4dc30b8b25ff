"""Dramatiq actors of the optimizer: thin, they load ids and call a service."""

from __future__ import annotations

from datetime import date

import dramatiq


@dramatiq.actor(queue_name="maintenance", max_retries=1, time_limit=300_000)
def optimize_day_actor(restaurant_id: int, day_iso: str, time_limit: float = 30.0) -> None:
    """Re-plan one restaurant's service day and apply the plan when it is enough better (on demand; the
    scheduled runs go through optimization.jobs and are recorded as OptimizerRun rows)."""
    from assignments.models import Restaurant
    from optimization.day_optimizer import day_optimize

    restaurant = Restaurant.objects.get(pk=restaurant_id)
    day_optimize(restaurant=restaurant, day=date.fromisoformat(day_iso), time_limit=time_limit)
