"""The engine's input for one booking is loaded in a fixed, small number of queries, whatever the day."""

from __future__ import annotations

import pytest

from assignments.context import assignment_context
from assignments.scenario import load_scenario
from assignments.services.allocations import allocations_create
from assignments.services.scenarios import scenario_import
from tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_two_queries_warm_four_when_the_floor_changed(settings, django_assert_num_queries):
    restaurant = scenario_import(
        scenario=load_scenario(settings.BASE_DIR / "scenarios" / "sample-large.json")
    )
    bookings = list(restaurant.bookings.order_by("arrival")[:40])
    tables = list(restaurant.tables.order_by("label"))
    for booking, table in zip(bookings, tables, strict=False):  # a busy day: 40 allocations
        allocations_create(tables=[table], start_at=booking.start_at, end_at=booking.end_at, booking=booking)
    target = bookings[-1]

    with django_assert_num_queries(4):  # booking (+restaurant, zone), tables, adjacency, allocations
        first = assignment_context(booking_id=target.pk)
    with django_assert_num_queries(2):  # the floor comes from the cache keyed by floor_version
        again = assignment_context(booking_id=target.pk)

    assert again.floor is first.floor and len(first.floor.tables) == 60
    assert len(again.occupancy) == 39  # every other booking's allocation, not the booking's own


def test_a_floor_change_is_seen_by_the_next_context(restaurant):
    booking = make_booking(restaurant)
    assert "M1" in assignment_context(booking_id=booking.pk).floor.table_by_id
    restaurant.tables.filter(label="M1").update(active=False)  # bypasses signals: bump explicitly
    from assignments.services.floor import floor_touch

    floor_touch(restaurant_id=restaurant.pk)
    assert "M1" not in assignment_context(booking_id=booking.pk).floor.table_by_id


class SaveFailed(Exception):
    pass


def test_the_floor_of_a_rolled_back_change_is_never_served_after_it(restaurant):
    """The floor cache is keyed on the floor version: a change that read (and cached) its floor, then rolled back,
    must not leave it under a version the next committed change reaches with another floor."""
    from django.db import transaction

    from assignments.context import floor_state
    from assignments.models import Restaurant

    def table_out(label):
        table = restaurant.tables.get(label=label)
        table.active = False
        table.save()  # bumps the floor version

    with pytest.raises(SaveFailed), transaction.atomic():
        table_out("M1")
        inside = floor_state(restaurant=Restaurant.objects.get(pk=restaurant.pk))
        assert "M1" not in inside.tables_by_label  # read, and cached, under the change
        raise SaveFailed

    table_out("M2")  # the next change, committed: another table out

    tables = floor_state(restaurant=Restaurant.objects.get(pk=restaurant.pk)).tables_by_label
    assert "M1" in tables and "M2" not in tables
