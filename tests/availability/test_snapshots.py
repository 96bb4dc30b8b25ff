"""Availability snapshots: slots, plans, per-slot figures, include_holds, caching and invalidation."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from assignments.models import Hold, Table, TableAllocation
from assignments.services.holds import hold_create
from availability.selectors import (
    FULLY_BOOKED,
    PARTY_TOO_LARGE,
    availability_for_day,
    availability_for_slot,
    slots_for_day,
)
from availability.versions import days_touched, version_get
from tests.availability.helpers import plan_tables, seat, slot
from tests.factories import DAY, at


def grid(restaurant, party_size=2, **kw):
    return availability_for_day(restaurant=restaurant, day=DAY, party_size=party_size, **kw)


@pytest.mark.django_db
def test_slots_follow_the_service_periods(restaurant):
    restaurant.service_periods = [
        {"name": "lunch", "start": "12:00", "end": "13:00"},
        {"name": "late", "start": "23:30", "end": "00:30"},
    ]
    restaurant.slot_minutes = 30
    assert slots_for_day(restaurant=restaurant, day=DAY) == [720, 750, 1410, 1440]


@pytest.mark.django_db
def test_empty_floor_offers_every_fitting_table_at_every_slot(restaurant):
    answer = grid(restaurant, party_size=2)
    assert len(answer["slots"]) == 26  # 17:00 .. 23:15 every 15 minutes
    first = answer["slots"][0]
    assert first["start_at"] == at("17:00").isoformat()
    assert first["plans"] == [["M1"], ["M2"], ["M3"]]  # T1 seats 3 to 6; the combination is dominated
    assert first["free_tables"] == ["M1", "M2", "M3", "T1"]
    assert first["largest_party"] == 8  # M2 + M3
    assert answer["reason"] is None


@pytest.mark.django_db
def test_a_seated_booking_takes_its_table_over_turn_and_buffer(restaurant):
    seat(restaurant, ["M1"], start="19:00")  # 19:00 to 20:30, buffer to 20:40
    answer = grid(restaurant, party_size=2)
    assert "M1" not in plan_tables(slot(answer, "19:00"))
    assert "M1" not in plan_tables(slot(answer, "17:30"))  # 17:30 + 90 + 10 runs into 19:00
    assert "M1" in plan_tables(slot(answer, "17:15"))  # ends 18:55
    assert "M1" not in plan_tables(slot(answer, "20:30"))
    assert "M1" in plan_tables(slot(answer, "20:45"))


@pytest.mark.django_db
def test_largest_party_shrinks_when_a_combination_breaks(restaurant):
    seat(restaurant, ["M3"], party_size=4, start="19:00")
    snap = slot(grid(restaurant, party_size=2), "19:00")
    assert snap["largest_party"] == 6  # T1
    assert slot(grid(restaurant, party_size=8), "19:00") is None


@pytest.mark.django_db
def test_party_larger_than_any_plan_gets_an_empty_answer_with_the_reason(restaurant):
    answer = grid(restaurant, party_size=9)
    assert answer["slots"] == []
    assert answer["reason"] == PARTY_TOO_LARGE
    assert answer["largest_party_on_floor"] == 8


@pytest.mark.django_db
def test_fully_booked_says_so(restaurant):
    for label in (
        "M1",
        "M2",
        "M3",
        "T1",
    ):  # back-to-back holds of the longest turn (150 + 10 buffer) all evening
        for start in ("17:00", "19:40", "22:20"):
            hold_create(
                restaurant=restaurant,
                start_at=at(start),
                table_labels=[label],
                ttl_seconds=600,
                duration_minutes=150,
            )
    answer = grid(restaurant, party_size=2)
    assert answer["slots"] == [] and answer["reason"] == FULLY_BOOKED
    assert grid(restaurant, party_size=2, include_holds=False)["slots"]


@pytest.mark.django_db
def test_include_holds_counts_live_holds_as_taken_or_ignores_them(restaurant):
    hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M2"], ttl_seconds=300)
    with_holds = slot(grid(restaurant, party_size=4, include_holds=True), "19:00")
    without = slot(grid(restaurant, party_size=4, include_holds=False), "19:00")
    assert ["M2"] not in with_holds["plans"] and ["M3"] in with_holds["plans"]
    assert ["M2"] in without["plans"] and ["M3"] in without["plans"]


@pytest.mark.django_db
def test_accessible_parties_only_get_accessible_plans(restaurant):
    snap = slot(grid(restaurant, party_size=2, accessible=True), "19:00")
    assert snap["plans"] == [["M3"]]


@pytest.mark.django_db
def test_a_warm_snapshot_comes_from_the_cache(restaurant, django_assert_num_queries):
    first = availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    with django_assert_num_queries(0):
        again = availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    assert again["as_of"] == first["as_of"] and again["version"] == first["version"]


@pytest.mark.django_db
def test_an_expired_hold_is_ignored_at_once_even_by_a_cached_snapshot(restaurant):
    hold = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() + timedelta(seconds=0.4))
    assert ["M1"] not in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)[
        "plans"
    ]
    time.sleep(0.5)  # less than the 1 s max age: only the hold's expiry can make the snapshot stale
    assert ["M1"] in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)["plans"]


@pytest.mark.django_db(transaction=True)
def test_a_new_allocation_appears_in_the_snapshot_at_once_after_commit(restaurant):
    before = availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    assert ["M1"] in before["plans"]
    seat(restaurant, ["M1"], start="19:00")
    committed = time.time()
    after = availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    assert ["M1"] not in after["plans"]
    assert after["version"] > before["version"]
    assert after["as_of"] - committed < 1.0


@pytest.mark.django_db(transaction=True)
def test_a_released_hold_appears_free_at_once(restaurant):
    from assignments.services.holds import hold_release

    hold = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=300)
    assert ["M1"] not in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)[
        "plans"
    ]
    hold_release(hold=hold)
    assert ["M1"] in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)["plans"]


@pytest.mark.django_db(transaction=True)
def test_a_change_that_skips_the_hook_is_still_never_served_more_than_a_second_late(restaurant):
    availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    TableAllocation.objects.create(  # behind the services' back: no invalidation
        restaurant=restaurant,
        table=Table.objects.get(restaurant=restaurant, label="M1"),
        hold=Hold.objects.create(
            restaurant=restaurant,
            start_at=at("19:00"),
            end_at=at("21:00"),
            expires_at=timezone.now() + timedelta(minutes=5),
        ),
        start_at=at("19:00"),
        end_at=at("21:00"),
    )
    time.sleep(1.05)
    assert ["M1"] not in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)[
        "plans"
    ]


@pytest.mark.django_db
def test_versions_bump_only_the_days_a_window_touches(restaurant):
    tz = restaurant.tzinfo
    assert days_touched(tz=tz, start_at=at("19:00"), end_at=at("21:00")) == [DAY]
    early = days_touched(tz=tz, start_at=at("01:00"), end_at=at("02:00"))
    assert early == [DAY - timedelta(days=1), DAY]  # a day's occupancy spans 30 h
    before = version_get(restaurant_id=restaurant.pk, day=DAY)
    from availability.services import availability_invalidate

    availability_invalidate(restaurant_id=restaurant.pk, start_at=at("19:00"), end_at=at("21:00"))
    assert version_get(restaurant_id=restaurant.pk, day=DAY) == before + 1


@pytest.mark.django_db
def test_a_table_taken_out_of_service_disappears_from_warm_snapshots(restaurant):
    """A floor edit (not an allocation) must not leave a warm snapshot offering the table."""

    from availability.selectors import availability_for_day

    day = DAY
    before = availability_for_day(restaurant=restaurant, day=day, party_size=2)
    assert any("M1" in plan for slot in before["slots"] for plan in slot["plans"])
    table = restaurant.tables.get(label="M1")
    table.active = False
    table.save()  # bumps the restaurant's floor_version
    restaurant.refresh_from_db()

    after = availability_for_day(restaurant=restaurant, day=day, party_size=2)

    assert not any("M1" in plan for slot in after["slots"] for plan in slot["plans"])
