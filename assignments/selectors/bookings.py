"""Bookings (and their restaurants and zones) as the API reads them: scoped to the restaurants a caller may see,
loaded for the answer."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet

from assignments.models import Booking, Restaurant, TableAllocation, Zone

_DAY = timedelta(days=1)


def bookings_in(*, restaurant_ids: QuerySet | list[int]) -> QuerySet[Booking]:
    """The bookings of these restaurants (the caller's, from tenancy.selectors.restaurant_ids_for_user)."""
    return Booking.objects.filter(restaurant_id__in=restaurant_ids)


def booking_in(*, pk: int, restaurant_ids: QuerySet | list[int]) -> Booking:
    """One booking of these restaurants with its restaurant; Booking.DoesNotExist (a 404) for another's."""
    return bookings_in(restaurant_ids=restaurant_ids).select_related("restaurant").get(pk=pk)


def booking_for_answer(*, pk: int) -> Booking:
    """The booking with what its answer shows (restaurant, zone, tables, attempts) in three queries."""
    return (
        Booking.objects.select_related("restaurant", "preferred_zone")
        .prefetch_related("allocations__table", "attempts")
        .get(pk=pk)
    )


def restaurant_in(*, slug: str, restaurant_ids: QuerySet | list[int]) -> Restaurant:
    """One of these restaurants by slug; Restaurant.DoesNotExist (a 404) for another's or an unknown one."""
    return Restaurant.objects.filter(pk__in=restaurant_ids).get(slug=slug)


def zone_of(*, restaurant: Restaurant, key: str) -> Zone | None:
    """The restaurant's zone with this key, or None."""
    return Zone.objects.filter(restaurant=restaurant, key=key).first()


def next_on_tables(*, booking: Booking) -> TableAllocation | None:
    """The first other allocation (booking, hold or block) on any of the booking's tables that starts after its
    own start: what a party seated late runs into. Loaded with its table, booking and block."""
    own = TableAllocation.objects.filter(booking=booking)
    return (
        TableAllocation.objects.filter(
            table__in=own.values("table"), start_at__gt=booking.start_at, start_at__lt=booking.end_at + _DAY
        )
        .exclude(booking=booking)
        .select_related("table", "booking", "block")
        .order_by("start_at", "table__label")
        .first()
    )
