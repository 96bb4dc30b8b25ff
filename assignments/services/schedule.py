"""Schedule versioning: every change to a weekly service or a dated exception bumps the restaurant's
schedule_version, which keys the in-process schedule cache (assignments.selectors.schedule)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from assignments.models import Restaurant


def schedule_touch(*, restaurant_id: int) -> None:
    Restaurant.objects.filter(pk=restaurant_id).update(schedule_version=F("schedule_version") + 1)


def schedule_touch_for_instance(sender, instance, **kwargs) -> None:
    """Connected to post_save/post_delete of WeeklyService and ScheduleException: a cache key, not business
    logic. The row's loaded restaurant, when there is one, learns the new version too."""
    if kwargs.get("raw") or not getattr(instance, "restaurant_id", None):
        return
    schedule_touch(restaurant_id=instance.restaurant_id)
    cached = instance._state.fields_cache.get("restaurant")
    if cached is not None:
        cached.schedule_version = (
            Restaurant.objects.filter(pk=instance.restaurant_id)
            .values_list("schedule_version", flat=True)
            .first()
            or cached.schedule_version
        )


def _time(hhmm: str | None):
    from datetime import time

    return time.fromisoformat(hhmm) if hhmm else None


def _rows(model, restaurant: Restaurant, services, **key) -> list:
    if services is None:
        return [model(restaurant=restaurant, closed=True, **key)]
    return [
        model(
            restaurant=restaurant,
            name=s["name"],
            start=_time(s["start"]),
            end=_time(s["end"]),
            last_seating=_time(s["last_seating"]),
            turn_minutes=s["turn_minutes"],
            pacing_covers_per_slot=s["pacing"]["covers_per_slot"],
            pacing_bookings_per_slot=s["pacing"]["bookings_per_slot"],
            pacing_covers_per_service=s["pacing"]["covers_per_service"],
            **key,
        )
        for s in services
    ]


@transaction.atomic
def schedule_replace(*, restaurant: Restaurant, spec: dict) -> None:
    """Replace the restaurant's weekly schedule, exceptions and pacing with a parsed scenario `schedule`
    (assignments.scenario_schedule.parse_schedule); one version bump."""
    from assignments.models import ScheduleException, WeeklyService

    WeeklyService.objects.filter(restaurant=restaurant).delete()
    ScheduleException.objects.filter(restaurant=restaurant).delete()
    weekly = [
        row
        for day, services in sorted(spec["weekly"].items())
        for row in _rows(WeeklyService, restaurant, services, weekday=day)
    ]
    exceptions = [
        row
        for e in spec["exceptions"]
        for row in _rows(ScheduleException, restaurant, e["services"], date=e["date"], note=e["note"])
    ]
    for row in (*weekly, *exceptions):
        row.full_clean(exclude=["restaurant"], validate_unique=False)
    WeeklyService.objects.bulk_create(weekly)
    ScheduleException.objects.bulk_create(exceptions)
    pacing = spec["pacing"]
    Restaurant.objects.filter(pk=restaurant.pk).update(
        pacing_covers_per_slot=pacing["covers_per_slot"],
        pacing_bookings_per_slot=pacing["bookings_per_slot"],
        pacing_covers_per_service=pacing["covers_per_service"],
        schedule_version=F("schedule_version") + 1,
    )
    restaurant.refresh_from_db()
