"""Bookings still confirmed outside their day's service: on a day the restaurant has since closed (a dated
exception, or a weekday closed in the weekly schedule), or outside hours changed since they were made (special
hours, the weekly hours, the default service periods). Nothing cancels or moves them by itself: guests are called
by a person. The review queue lists them and the restaurant page warns when such a schedule is saved; bookings
not yet seated by the pipeline go to review with the reason (assignments.coordinator, DaySchedule.outside_reason).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Min, QuerySet
from django.utils import timezone

from assignments.conf import maitre_settings
from assignments.models import Booking, BookingState, Restaurant
from assignments.models.bookings import LIVE_STATES
from assignments.schedules import DaySchedule
from assignments.selectors.schedule import restaurant_day_schedule, restaurant_service_day


def look_ahead_days() -> int:
    """How many days ahead the bookings left outside service are looked for (MAITRE_SCHEDULE_LOOK_AHEAD_DAYS)."""
    return maitre_settings.SCHEDULE_LOOK_AHEAD_DAYS


def booking_first_starts_ahead(*, restaurant: Restaurant, now: datetime) -> list[datetime]:
    """The first start of each service day ahead (from `now`) with live bookings: one moment per day, enough to
    tell what a time zone change did to their local times (one query, at most a row per day)."""
    rows = (
        Booking.objects.filter(restaurant=restaurant, state__in=LIVE_STATES, start_at__gte=now)
        .values("service_date")
        .annotate(first=Min("start_at"))
        .order_by("service_date")
    )
    return [row["first"] for row in rows]


@dataclass(frozen=True)
class DayBookingsOutsideService:
    restaurant: Restaurant
    day: date
    closed: bool
    reason: str  # "closed on Fri 25 Dec 2026 (Christmas Day)" or "the hours of Saturdays: dinner 18:00-21:00"
    bookings: tuple[Booking, ...]  # confirmed, by start; all of the day's when it is closed

    @property
    def heading(self) -> str:
        """The reason with the date when it does not name it: "Sat 05 Dec: the hours of Saturdays: ..."."""
        if f"{self.day:%d %b %Y}" in self.reason:
            return self.reason
        return f"{self.day:%a %d %b}: {self.reason}"

    @property
    def covers(self) -> int:
        return sum(b.party_size for b in self.bookings)


def days_with_confirmed_bookings_outside_service(
    *,
    restaurants: QuerySet[Restaurant] | Iterable[Restaurant],
    dates: Iterable[date] | None = None,
    now: datetime | None = None,
    days: int | None = None,
    states: Iterable[str] = (BookingState.CONFIRMED,),
) -> list[DayBookingsOutsideService]:
    """The service days (the given `dates`, else from each restaurant's today for `days`, by default
    `look_ahead_days()`) with confirmed bookings
    (or bookings in `states`) that start outside that day's service, soonest first: two queries (the start times,
    then the bookings outside), and the schedule of each day that has bookings (cached)."""
    now = now or timezone.now()
    by_id = {r.pk: r for r in restaurants}
    if not by_id:
        return []
    confirmed = Booking.objects.filter(restaurant_id__in=list(by_id), state__in=list(states))
    if dates is not None:
        confirmed = confirmed.filter(service_date__in=list(dates))
    else:
        first = (now - timedelta(days=1)).date()  # every time zone's today is on or after it
        days = look_ahead_days() if days is None else days
        confirmed = confirmed.filter(
            service_date__gte=first, service_date__lte=first + timedelta(days=days + 1)
        )
    outside: dict[tuple[int, date], set[datetime]] = {}  # the start times outside service, per day
    schedules: dict[tuple[int, date], DaySchedule] = {}
    today = (
        {}
        if dates is not None
        else {rid: restaurant_service_day(restaurant=r, moment=now) for rid, r in by_id.items()}
    )
    starts = confirmed.order_by().values_list("restaurant_id", "service_date", "start_at").distinct()
    for restaurant_id, day, start_at in starts:
        restaurant = by_id[restaurant_id]
        if day is None or (dates is None and day < today[restaurant_id]):
            continue
        schedule = schedules.get((restaurant_id, day))
        if schedule is None:
            schedule = schedules[(restaurant_id, day)] = restaurant_day_schedule(
                restaurant=restaurant, day=day
            )
        if schedule.outside_reason(restaurant.minute_of_day(start_at, day)) is not None:
            outside.setdefault((restaurant_id, day), set()).add(start_at)
    if not outside:
        return []
    bookings: dict[tuple[int, date], list[Booking]] = {}
    rows = confirmed.filter(
        service_date__in={d for _, d in outside}, start_at__in={t for ts in outside.values() for t in ts}
    ).order_by("start_at", "id")
    for b in rows:
        if b.service_date is None:
            continue
        key = (b.restaurant_id, b.service_date)
        if b.start_at in outside.get(key, ()):
            b.restaurant = by_id[b.restaurant_id]
            bookings.setdefault(key, []).append(b)
    return [
        DayBookingsOutsideService(
            by_id[rid], day, schedules[(rid, day)].closed, schedules[(rid, day)].hours_reason, tuple(found)
        )
        for (rid, day), found in sorted(bookings.items(), key=lambda kv: (kv[0][1], by_id[kv[0][0]].name))
    ]
