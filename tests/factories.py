"""factory_boy factories and a small hand-made floor used across the suite."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory

from assignments.models import Booking, Restaurant, Table, TableAdjacency, Zone
from assignments.services.bookings import booking_create

LONDON = ZoneInfo("Europe/London")


def service_day(today: date) -> date:
    """The suite's service day: the first Saturday at least a week after `today` in a fortnight where London
    keeps UTC (winter time, no clock change from the Saturday before to the Sunday after), so that it is
    never in the past nor past the API's 365-day horizon (at most 251 days ahead), and "19:00" is 19:00Z
    on every run. It was a fixed 2026-12-05: every test booking over the API or the admin would have been
    refused as "in the past" from the day after."""

    def winter(day: date) -> bool:
        return all(
            not datetime(d.year, d.month, d.day, 12, tzinfo=LONDON).utcoffset()
            for d in (day + timedelta(days=k) for k in range(-7, 9))
        )

    day = today + timedelta(days=7 + (5 - (today + timedelta(days=7)).weekday()) % 7)
    while not winter(day):
        day += timedelta(days=7)
    return day


DAY = service_day(datetime.now(LONDON).date())
DAY_ISO = DAY.isoformat()  # "2026-12-05"
DAY_SHORT = f"{DAY:%a %d %b}"  # "Sat 05 Dec", as the review queue and the warnings write it
DAY_LONG = f"{DAY:%a %d %b %Y}"  # "Sat 05 Dec 2026", as a closed day or special hours are named


def put_at(booking: Booking, start: datetime) -> None:
    """Moves a booking's row to `start` (same length, `start`'s date as its service day) without the services:
    a booking made on the suite's day that stands for one on another date."""
    Booking.objects.filter(pk=booking.pk).update(
        start_at=start, end_at=start + (booking.end_at - booking.start_at), service_date=start.date()
    )


def at(hhmm: str, day=DAY) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=LONDON)


class RestaurantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Restaurant

    name = factory.Sequence(lambda n: f"Bistro {n}")
    slug = factory.Sequence(lambda n: f"bistro-{n}")
    timezone = "Europe/London"
    buffer_minutes = 10


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    restaurant = factory.SubFactory(RestaurantFactory)
    key = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.LazyAttribute(lambda z: z.key.title())
    priority = 1


class TableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Table

    restaurant = factory.LazyAttribute(lambda t: t.zone.restaurant)
    zone = factory.SubFactory(ZoneFactory)
    label = factory.Sequence(lambda n: f"T{n:02d}")
    min_covers = 1
    max_covers = 4


def make_booking(restaurant: Restaurant, *, party_size: int = 2, start: str = "19:00", **kwargs) -> Booking:
    return booking_create(restaurant=restaurant, party_size=party_size, start_at=at(start), **kwargs)


class FloorFactory:
    """A small floor: main room M1 (2), M2 (4, combinable), M3 (4, combinable, accessible), M2-M3 adjacent;
    terrace T1 (6)."""

    @staticmethod
    def small() -> Restaurant:
        r = RestaurantFactory(max_combination_tables=3)
        main = ZoneFactory(restaurant=r, key="main", name="Main room", priority=1)
        terrace = ZoneFactory(restaurant=r, key="terrace", name="Terrace", priority=2)
        TableFactory(zone=main, label="M1", max_covers=2)
        m2 = TableFactory(zone=main, label="M2", max_covers=4, combinable=True)
        m3 = TableFactory(zone=main, label="M3", max_covers=4, combinable=True, accessible=True)
        TableFactory(zone=terrace, label="T1", min_covers=3, max_covers=6)
        TableAdjacency.objects.create(restaurant=r, table_a=m2, table_b=m3)
        return r


__all__ = [
    "DAY",
    "LONDON",
    "FloorFactory",
    "RestaurantFactory",
    "TableFactory",
    "ZoneFactory",
    "at",
    "grant",
    "make_booking",
]


def grant(user, *restaurants, role: str = "platform"):
    """Make the user a member of the restaurants (tenancy): API clients and staff see only those."""
    from tenancy.models import Membership

    for restaurant in restaurants:
        Membership.objects.get_or_create(user=user, restaurant=restaurant, defaults={"role": role})
    return user
