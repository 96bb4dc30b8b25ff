"""Bookings still confirmed on a day the restaurant has since closed (a dated exception, or a weekday closed in the
weekly schedule). Nothing cancels them by itself: guests are called by a person. The review queue lists them and
the restaurant page warns when a closed day is saved; bookings not yet seated by the pipeline that day go to
review with the reason (assignments.coordinator)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from assignments.models import Booking, BookingState, Restaurant
from assignments.selectors.schedule import restaurant_day_schedule, restaurant_service_day

LOOK_AHEAD_DAYS = 60


@dataclass(frozen=True)
class ClosedDayBookings:
    restaurant: Restaurant
    day: date
    reason: str  # "closed on Fri 25 Dec 2026 (Christmas Day)"
    bookings: tuple[Booking, ...]  # confirmed, by start

    @property
    def covers(self) -> int:
        return sum(b.party_size for b in self.bookings)


def closed_days_with_confirmed_bookings(
    *,
    restaurants: QuerySet[Restaurant] | Iterable[Restaurant],
    dates: Iterable[date] | None = None,
    now: datetime | None = None,
    days: int = LOOK_AHEAD_DAYS,
) -> list[ClosedDayBookings]:
    """The closed service days (the given `dates`, else from each restaurant's today for `days`) that still have
    confirmed bookings, soonest first: two queries, and the schedule of each day that has bookings (cached)."""
    now = now or timezone.now()
    by_id = {r.pk: r for r in restaurants}
    if not by_id:
        return []
    confirmed = Booking.objects.filter(restaurant_id__in=list(by_id), state=BookingState.CONFIRMED)
    if dates is not None:
        confirmed = confirmed.filter(service_date__in=list(dates))
    else:
        first = (now - timedelta(days=1)).date()  # every time zone's today is on or after it
        confirmed = confirmed.filter(
            service_date__gte=first, service_date__lte=first + timedelta(days=days + 1)
        )
    closed: dict[tuple[int, date], str] = {}
    pairs = confirmed.order_by().values_list("restaurant_id", "service_date").annotate(n=Count("id"))
    for restaurant_id, day, _n in pairs:
        restaurant = by_id[restaurant_id]
        if dates is None and day < restaurant_service_day(restaurant=restaurant, moment=now):
            continue
        schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
        if schedule.closed:
            closed[(restaurant_id, day)] = schedule.closed_reason or "closed that day"
    if not closed:
        return []
    bookings: dict[tuple[int, date], list[Booking]] = {}
    rows = confirmed.filter(service_date__in={d for _, d in closed}).order_by("start_at", "id")
    for b in rows:
        key = (b.restaurant_id, b.service_date)
        if key in closed:
            b.restaurant = by_id[b.restaurant_id]
            bookings.setdefault(key, []).append(b)
    return [
        ClosedDayBookings(by_id[rid], day, closed[(rid, day)], tuple(bookings[(rid, day)]))
        for rid, day in sorted(bookings, key=lambda k: (k[1], by_id[k[0]].name))
    ]
