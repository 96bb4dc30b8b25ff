"""Schedule versioning: every change to a weekly service or a dated exception gives the restaurant a new
schedule_version, a value never used before (models.floor.version_fresh), which keys the in-process schedule cache
(assignments.selectors.schedule) and availability's snapshots in Redis; what follows an
hours change (schedule_change_follow) and a time zone change (restaurant_timezone_change), which places every
booking's UTC moment in the day's local hours: each booking on the service day its start belongs to now."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.timezone import now as clock_now

from assignments.models import Booking, BookingState, Restaurant
from assignments.models.floor import version_fresh
from assignments.selectors.outside_service import (
    days_with_confirmed_bookings_outside_service,
    look_ahead_days,
)
from assignments.selectors.schedule import restaurant_service_day
from assignments.services.bookings import bookings_service_day_recompute
from assignments.services.pipeline import pipeline_wake
from assignments.signals import restaurant_hours_changed, restaurant_timezone_changed

logger = logging.getLogger("maitre.schedule")


def schedule_touch(*, restaurant_id: int) -> None:
    """A new schedule version, never used before: should this transaction roll back after reading (and caching)
    its rows under it, the next change does not reach it again (a count would, with other hours)."""
    Restaurant.objects.filter(pk=restaurant_id).update(schedule_version=version_fresh())


def schedule_touch_for_instance(sender, instance, **kwargs) -> None:
    """Connected to post_save/post_delete of WeeklyService and ScheduleException: a cache key, not business
    logic (what follows an hours change, bookings put on their service day and re-checked, is the writer's call
    to schedule_change_follow). The row's loaded restaurant, when there is one, learns the new version too."""
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
    (assignments.scenario_schedule.parse_schedule), then what follows any hours change (schedule_change_follow:
    bookings on the service day their start belongs to now, waiting ones re-checked), in one transaction."""
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
    )
    schedule_change_follow(restaurant=restaurant)


@transaction.atomic
def restaurant_timezone_change(*, restaurant: Restaurant, timezone: str) -> Restaurant:
    """Put the restaurant in another time zone. Bookings are stored in UTC and keep their moment, so each one's
    local time moves (20:00 in London is 23:00 in Istanbul) and may now fall outside its day's hours, exactly as
    if the hours had changed: confirmed bookings stay confirmed and are listed to call
    (selectors.outside_service), and the pipeline sends the waiting ones to review at once, the reason naming
    the zone change (Restaurant.zone_moved). In the same transaction each booking from today on is put on the
    service day its start belongs to now (services.bookings.bookings_service_day_recompute: 23:30 in London is
    00:30 the next day in Istanbul), the schedule version is bumped as for an hours change, and availability
    hears of it on commit (signals.restaurant_timezone_changed). Raises ValidationError for an unknown zone,
    writing nothing."""
    try:
        ZoneInfo(timezone)
    except Exception as exc:
        raise ValidationError({"timezone": f"Unknown time zone {timezone!r}."}) from exc
    previous = restaurant.timezone
    if timezone == previous:
        return restaurant
    now = clock_now()
    today = restaurant_service_day(restaurant=restaurant, moment=now)  # in the zone it had
    Restaurant.objects.filter(pk=restaurant.pk).update(
        timezone=timezone,
        previous_timezone=previous,
        timezone_changed_at=now,
        schedule_version=version_fresh(),
    )
    restaurant.refresh_from_db(
        fields=["timezone", "previous_timezone", "timezone_changed_at", "schedule_version"]
    )
    moved = _service_days_follow(restaurant=restaurant, since=today - timedelta(days=1), now=now)
    logger.info(
        "restaurant %s: time zone %s -> %s, %s booking(s) on another service day",
        restaurant.pk,
        previous,
        timezone,
        len(moved),
    )
    bookings_outside_service_recheck(restaurant=restaurant)
    rid = restaurant.pk
    transaction.on_commit(lambda: restaurant_timezone_changed.send(sender=None, restaurant_id=rid))
    return restaurant


@dataclass
class HoursChange:
    """What an hours change did beyond the rows: the bookings it put on another service day ({id: new day}), the
    waiting ones it made due at once (now outside their day's hours), and the service days told to availability."""

    moved: dict[int, date] = field(default_factory=dict)
    made_due: int = 0
    days: list[date] = field(default_factory=list)


@transaction.atomic
def schedule_change_follow(*, restaurant: Restaurant, dates: Iterable[date] | None = None) -> HoursChange:
    """What follows a change of a restaurant's hours (weekly services, dated exceptions or the default service
    periods), in the transaction that wrote it (the admin's save, schedule_replace): the schedule version is
    bumped; each booking from yesterday's service day on is put on the service day its start belongs to now
    (Friday's late service 18:00-01:30 takes a 00:45 Saturday-morning booking onto Friday; removing it gives the
    booking back to Saturday: services.bookings.bookings_service_day_recompute); a due waiting booking that moved
    is woken on its new day; the bookings still waiting for the pipeline and now outside their day's hours (on
    `dates`, the days whose hours changed, and the days bookings moved to; every day from today on when `dates`
    is None) are made due now, so the pipeline sends them to review naming the hours; and on commit availability
    hears of the days that changed (signals.restaurant_hours_changed). The one door for an hours change: a
    WeeklyService or ScheduleException written anywhere else must call it too."""
    now = clock_now()
    schedule_touch(restaurant_id=restaurant.pk)
    restaurant.refresh_from_db()
    today = restaurant_service_day(restaurant=restaurant, moment=now)  # under the new hours
    since = today - timedelta(days=1)
    moved = _service_days_follow(restaurant=restaurant, since=since, now=now)
    recheck = None if dates is None else {*dates, *moved.values()}
    made_due = bookings_outside_service_recheck(restaurant=restaurant, dates=recheck)
    if dates is None:
        told = {since + timedelta(days=n) for n in range(look_ahead_days() + 2)}
    else:
        told = {d for d in dates if d >= since}
    # a booking moves to the day before or after its old one: both days' availability hears of it
    told |= {day + timedelta(days=k) for day in set(moved.values()) for k in (-1, 0, 1)}
    days = sorted(told)
    logger.info(
        "restaurant %s: hours changed, %s booking(s) on another service day, %s waiting made due",
        restaurant.pk,
        len(moved),
        made_due,
    )
    rid = restaurant.pk
    transaction.on_commit(lambda: restaurant_hours_changed.send(sender=None, restaurant_id=rid, days=days))
    return HoursChange(moved=moved, made_due=made_due, days=days)


def _service_days_follow(*, restaurant: Restaurant, since: date, now) -> dict[int, date]:
    """Every booking from the service day `since` on put on the service day its start belongs to now, and each
    waiting booking that moved and is due woken on its new day (that day's pass claims it, not the old day's).
    Returns {booking id: its new day}."""
    moved = bookings_service_day_recompute(restaurant=restaurant, since=since, now=now)
    waiting = Booking.objects.filter(
        pk__in=list(moved), state=BookingState.ASSIGNMENT_PENDING, due_at__lte=now
    ).values_list("service_date", flat=True)
    for day in sorted({d for d in waiting if d is not None}):
        pipeline_wake(restaurant_id=restaurant.pk, service_date=day)
    return moved


def bookings_outside_service_recheck(*, restaurant: Restaurant, dates: Iterable[date] | None = None) -> int:
    """After the hours of some days changed (or the time zone, every day from today on): the bookings still
    waiting for the pipeline whose start is now outside their day's service are made due now and the pipeline is
    woken for their days, so its own rule (DaySchedule.outside_reason) sends them to review with the reason
    naming the hours now, not at their next try. Bookings inside the hours keep their turn (no attempt spent).
    Returns how many were made due."""
    now = clock_now()
    outside = days_with_confirmed_bookings_outside_service(
        restaurants=[restaurant], dates=dates, now=now, states=(BookingState.ASSIGNMENT_PENDING,)
    )
    made_due = 0
    for day in outside:
        made_due += Booking.objects.filter(
            pk__in=[b.pk for b in day.bookings], state=BookingState.ASSIGNMENT_PENDING, due_at__gt=now
        ).update(due_at=now)
        pipeline_wake(restaurant_id=restaurant.pk, service_date=day.day)
    return made_due
