"""Schedule versioning: every change to a weekly service or a dated exception bumps the restaurant's
schedule_version, which keys the in-process schedule cache (assignments.selectors.schedule)."""

from __future__ import annotations

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
            Restaurant.objects.filter(pk=instance.restaurant_id).values_list("schedule_version", flat=True).first()
            or cached.schedule_version
        )
