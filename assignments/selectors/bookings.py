"""Bookings (and their restaurants and zones) as the API reads them: scoped to the restaurants a caller may see,
loaded for the answer."""

from __future__ import annotations

from django.db.models import QuerySet

from assignments.models import Booking, Restaurant, Zone


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
