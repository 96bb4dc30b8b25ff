"""The holds service: holding tables or the engine's plan, conflicts, expiry, release, promotion, sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from assignments.context import engine_for, floor_state, occupancy_for_day
from assignments.models import Hold, Table, TableAllocation
from assignments.services.allocations import AllocationConflict, allocations_create
from assignments.services.holds import (
    NoPlanAvailable,
    hold_create,
    hold_release,
    hold_tables,
    holds_release_for_booking,
    holds_sweep_expired,
)
from availability.selectors import availability_for_slot
from tests.factories import DAY, at, make_booking

pytestmark = pytest.mark.django_db


def _expire(hold: Hold) -> None:
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_hold_on_tables_takes_them_for_turn_and_buffer(restaurant):
    hold = hold_create(
        restaurant=restaurant, start_at=at("19:00"), table_labels=["M2", "M3"], party_size=6, ttl_seconds=120
    )
    assert hold_tables(hold=hold) == ["M2", "M3"]
    assert hold.end_at == at("21:00") + timedelta(minutes=10)  # 6 covers turn 120 + buffer 10
    assert timedelta(seconds=115) < hold.expires_at - timezone.now() <= timedelta(seconds=120)
    rows = TableAllocation.objects.filter(hold=hold)
    assert {(r.start_at, r.end_at) for r in rows} == {(hold.start_at, hold.end_at)}


def test_a_hold_blocks_the_engine_and_availability(restaurant):
    hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    state = floor_state(restaurant=restaurant)
    occupancy, _ = occupancy_for_day(restaurant=restaurant, day=DAY, floor=state.floor)
    assert not occupancy.is_free("M1", 19 * 60, 19 * 60 + 30)
    assert ["M1"] not in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)[
        "plans"
    ]
    booking = make_booking(restaurant, start="19:00")
    with pytest.raises(AllocationConflict):
        allocations_create(
            tables=[Table.objects.get(restaurant=restaurant, label="M1")],
            start_at=booking.start_at,
            end_at=booking.end_at,
            booking=booking,
        )


def test_a_hold_by_party_size_takes_the_engines_best_plans_until_none_is_left(restaurant):
    taken = []
    for _ in range(3):  # party of 4: M2, M3, T1 (M2+M3 is dominated)
        hold = hold_create(restaurant=restaurant, start_at=at("19:00"), party_size=4, ttl_seconds=60)
        taken.append(tuple(hold_tables(hold=hold)))
    assert sorted(taken) == [("M2",), ("M3",), ("T1",)]
    engine = engine_for(restaurant=restaurant, floor=floor_state(restaurant=restaurant).floor)
    assert taken[0] in {c.tables for c in engine.floor.candidates_for(4)}
    with pytest.raises(NoPlanAvailable):
        hold_create(restaurant=restaurant, start_at=at("19:00"), party_size=4, ttl_seconds=60)
    assert Hold.objects.count() == 3  # the refused one left nothing behind


def test_a_second_hold_on_a_taken_table_conflicts_and_writes_nothing(restaurant):
    hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    with pytest.raises(AllocationConflict) as err:
        hold_create(restaurant=restaurant, start_at=at("20:00"), table_labels=["M1", "M2"], ttl_seconds=60)
    assert "M1" in err.value.tables
    assert Hold.objects.count() == 1 and TableAllocation.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"table_labels": ["M1"], "ttl_seconds": 5}, "ttl_seconds"),
        ({"table_labels": ["M1"], "ttl_seconds": 901}, "ttl_seconds"),
        ({"ttl_seconds": 60}, "party_size"),
        ({"party_size": 0, "ttl_seconds": 60}, "party_size"),
        ({"table_labels": ["M1", "NOPE"], "ttl_seconds": 60}, "tables"),
        ({"table_labels": [], "ttl_seconds": 60}, "tables"),
        ({"table_labels": ["M1"], "ttl_seconds": 60, "duration_minutes": 0}, "duration_minutes"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(restaurant, kwargs, field):
    with pytest.raises(ValidationError) as err:
        hold_create(restaurant=restaurant, start_at=at("19:00"), **kwargs)
    assert field in err.value.message_dict
    assert not Hold.objects.exists() and not TableAllocation.objects.exists()


def test_a_naive_start_is_refused(restaurant):
    with pytest.raises(ValidationError) as err:
        hold_create(
            restaurant=restaurant,
            start_at=at("19:00").replace(tzinfo=None),
            table_labels=["M1"],
            ttl_seconds=60,
        )
    assert "start_at" in err.value.message_dict


def test_an_expired_hold_gives_way_at_once(restaurant):
    hold = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    _expire(hold)
    assert ["M1"] in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)["plans"]
    again = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    assert hold_tables(hold=again) == ["M1"]
    assert hold_tables(hold=hold) == []  # purged by the allocation service


def test_the_sweep_removes_expired_holds_only(restaurant):
    live = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    old = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M2"], ttl_seconds=60)
    _expire(old)
    assert holds_sweep_expired() == 1
    assert list(Hold.objects.values_list("pk", flat=True)) == [live.pk]
    assert list(TableAllocation.objects.values_list("hold_id", flat=True)) == [live.pk]
    assert holds_sweep_expired() == 0


def test_the_sweep_command_and_actor(restaurant, capsys):
    from assignments.tasks import sweep_expired_holds

    _expire(hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60))
    call_command("sweep_holds")
    assert "expired holds removed: 1" in capsys.readouterr().out
    _expire(hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60))
    sweep_expired_holds()  # called directly, the actor runs in process
    assert not Hold.objects.exists()


def test_the_sweep_is_scheduled_with_dramatiq_crontab():
    from dramatiq_crontab import scheduler

    import assignments.tasks  # noqa: F401

    assert "sweep_expired_holds" in {job.name for job in scheduler.get_jobs()}


def test_releasing_a_hold_frees_its_tables(restaurant):
    hold = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    hold_release(hold=hold)
    assert not Hold.objects.exists() and not TableAllocation.objects.exists()


def test_promoting_a_hold_returns_its_tables_and_lets_the_booking_take_them(restaurant):
    booking = make_booking(restaurant, party_size=4, start="19:00")
    live = hold_create(restaurant=restaurant, start_at=booking.start_at, booking=booking, ttl_seconds=60)
    assert live.party_size == 4
    expired = hold_create(
        restaurant=restaurant, start_at=at("21:00"), table_labels=["M1"], booking=booking, ttl_seconds=60
    )
    _expire(expired)
    other = hold_create(restaurant=restaurant, start_at=at("19:00"), table_labels=["M1"], ttl_seconds=60)
    held = hold_tables(hold=live)
    assert held in (["M2"], ["M3"], ["T1"])  # the engine's plan for 4
    labels = holds_release_for_booking(booking=booking)
    assert labels == held  # the expired hold's M1 is not promoted
    assert list(Hold.objects.values_list("pk", flat=True)) == [other.pk]
    tables = list(Table.objects.filter(restaurant=restaurant, label__in=labels))
    allocations_create(tables=tables, start_at=booking.start_at, end_at=booking.end_at, booking=booking)
    assert (
        sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True))
        == labels
    )


def test_a_hold_for_another_restaurants_booking_is_refused(restaurant):
    from tests.factories import FloorFactory

    elsewhere = make_booking(FloorFactory.small(), start="19:00")
    with pytest.raises(ValidationError) as err:
        hold_create(restaurant=restaurant, start_at=at("19:00"), booking=elsewhere, ttl_seconds=60)
    assert "booking" in err.value.message_dict
