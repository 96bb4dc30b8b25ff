"""The database guard against double booking: overlapping allocations of one table are impossible."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from assignments.models import TableAllocation
from assignments.services.allocations import AllocationConflict, allocations_create
from tests.factories import at, make_booking

pytestmark = pytest.mark.django_db


def _alloc(restaurant, label, booking, start, end):
    return allocations_create(
        tables=[restaurant.tables.get(label=label)], start_at=start, end_at=end, booking=booking
    )


def test_overlap_including_the_buffer_is_refused_back_to_back_is_fine(restaurant):
    first, second, third = (make_booking(restaurant) for _ in range(3))
    start, end = restaurant.occupied_window(at("19:00"), at("20:30"))
    assert end == at("20:40")  # the 10-minute buffer is part of the window
    _alloc(restaurant, "M1", first, start, end)

    with pytest.raises(AllocationConflict) as err:
        _alloc(restaurant, "M1", second, at("20:35"), at("21:30"))  # inside the buffer
    assert err.value.tables == ["M1"]

    _alloc(restaurant, "M1", third, end, end + timedelta(hours=1))  # starts exactly when the buffer ends
    assert TableAllocation.objects.filter(table__label="M1").count() == 2


def test_a_conflict_on_one_table_writes_none_of_the_plan(restaurant):
    a, b = make_booking(restaurant), make_booking(restaurant)
    _alloc(restaurant, "M3", a, at("19:00"), at("20:00"))
    tables = list(restaurant.tables.filter(label__in=["M2", "M3"]))
    with pytest.raises(AllocationConflict):
        allocations_create(tables=tables, start_at=at("19:30"), end_at=at("20:30"), booking=b)
    assert not TableAllocation.objects.filter(booking=b).exists()


@pytest.mark.postgres
def test_the_exclusion_constraint_itself_refuses_a_raw_overlapping_insert(restaurant):
    """Bypass the service: Postgres alone must refuse the second row."""
    a, b = make_booking(restaurant), make_booking(restaurant)
    table = restaurant.tables.get(label="M1")
    TableAllocation.objects.create(
        restaurant=restaurant, table=table, booking=a, start_at=at("19:00"), end_at=at("20:40")
    )
    with pytest.raises(IntegrityError, match="allocation_no_overlap"), transaction.atomic():
        TableAllocation.objects.create(
            restaurant=restaurant, table=table, booking=b, start_at=at("20:39"), end_at=at("21:00")
        )
    TableAllocation.objects.create(
        restaurant=restaurant, table=table, booking=b, start_at=at("20:40"), end_at=at("21:00")
    )


def test_an_allocation_belongs_to_a_booking_or_a_hold(restaurant):
    with pytest.raises(ValueError):
        allocations_create(
            tables=[restaurant.tables.get(label="M1")], start_at=at("19:00"), end_at=at("20:00")
        )
