"""The console's fixes, each through one service with the staff user as actor: blocks, moves, another time,
a re-seat proposal. Each refusal names the clash and writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from assignments.context import assignment_context, engine_for
from assignments.lifecycle import Actor
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
    TableAllocation,
    TableBlock,
)
from assignments.selectors.review import booking_nearest_times, booking_reason_now, booking_reseat_offer
from assignments.services.blocks import BlockRefused, table_block_create, table_block_remove
from assignments.services.manual import (
    NotAssignable,
    StaleBooking,
    TablesTaken,
    booking_move_tables,
    booking_seat_at_time,
    booking_seat_with_reseat,
)
from availability.selectors import availability_for_slot
from optimization.reseating import reseat_compute
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import at

pytestmark = pytest.mark.django_db


def _tables(booking) -> list[str]:
    return sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True))


def test_a_blocked_table_is_avoided_by_the_engine_and_by_availability(
    restaurant, assigner, django_capture_on_commit_callbacks
):
    booking = in_review(restaurant, party_size=2, start="19:00")
    ctx = assignment_context(booking_id=booking.pk)
    best_before = engine_for(restaurant=restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).best
    assert best_before.tables == ("M1",)
    assert (
        "M1"
        in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)["free_tables"]
    )

    with django_capture_on_commit_callbacks(execute=True):  # availability is told on commit
        block = table_block_create(
            restaurant=restaurant,
            table_labels=["M1"],
            start_at=at("18:00"),
            end_at=at("23:00"),
            reason="broken chair",
            user=assigner,
        )

    ctx = assignment_context(booking_id=booking.pk)
    plans = engine_for(restaurant=restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).plans
    assert plans and all("M1" not in p.tables for p in plans)
    snap = availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)
    assert "M1" not in snap["free_tables"] and ["M1"] not in snap["plans"]

    with django_capture_on_commit_callbacks(execute=True):
        table_block_remove(block=block)
    assert not TableAllocation.objects.filter(table__label="M1").exists()
    assert (
        "M1"
        in availability_for_slot(restaurant=restaurant, start_at=at("19:00"), party_size=2)["free_tables"]
    )


def test_a_block_over_a_booking_is_refused_naming_it_and_nothing_is_written(restaurant, assigner):
    other = confirmed_at(restaurant, ["T1"], party_size=4, start="20:00")
    with pytest.raises(BlockRefused) as exc:
        table_block_create(
            restaurant=restaurant,
            table_labels=["T1", "M1"],
            start_at=at("19:00"),
            end_at=at("22:00"),
            reason="private event",
            user=assigner,
        )
    assert f"T1 is taken by #{other.pk} (4p 20:00-" in str(exc.value)
    assert [(c.kind, c.pk) for c in exc.value.clashes] == [("booking", other.pk)]
    assert not TableBlock.objects.exists() and TableAllocation.objects.count() == 1


def test_seating_onto_a_blocked_table_names_the_block(restaurant, assigner):
    from assignments.services.manual import booking_assign_manually

    table_block_create(
        restaurant=restaurant,
        table_labels=["M1"],
        start_at=at("18:00"),
        end_at=at("23:00"),
        reason="private event",
        user=assigner,
    )
    booking = in_review(restaurant, party_size=2, start="19:00")
    with pytest.raises(TablesTaken, match=r"M1 is blocked \(private event 18:00-23:00\)"):
        booking_assign_manually(
            booking=booking,
            table_labels=["M1"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    assert booking_reason_now(ctx=assignment_context(booking_id=booking.pk)).startswith("a plan is free now")


def test_a_confirmed_booking_moves_to_free_tables_and_a_clash_is_named(restaurant, assigner):
    moving = confirmed_at(restaurant, ["M1"], party_size=2, start="19:00")
    other = confirmed_at(restaurant, ["M3"], party_size=3, start="19:30")
    version = moving.version

    with pytest.raises(TablesTaken) as exc:
        booking_move_tables(
            booking=moving, table_labels=["M3"], actor=Actor.staff(assigner), expected_version=version
        )
    assert f"M3 is taken by #{other.pk} (3p 19:30-" in str(exc.value)
    assert _tables(moving) == ["M1"]

    booking_move_tables(
        booking=moving, table_labels=["M2"], actor=Actor.staff(assigner), expected_version=version
    )
    moved = Booking.objects.get(pk=moving.pk)
    assert (moved.state, moved.version, _tables(moved)) == (BookingState.CONFIRMED, version, ["M2"])
    attempt = BookingAssignmentAttempt.objects.filter(booking=moved).latest("attempt_no")
    assert attempt.reason == "moved from M1 to M2 by staff:assigner"
    assert (
        OutboxEvent.objects.filter(aggregate_id=str(moved.pk), event_type="booking.tables_changed").count()
        == 1
    )

    with pytest.raises(StaleBooking):
        booking_move_tables(
            booking=moving, table_labels=["M1"], actor=Actor.staff(assigner), expected_version=version - 1
        )
    review = in_review(restaurant, party_size=2, start="21:00")
    with pytest.raises(NotAssignable):
        booking_move_tables(
            booking=review, table_labels=["M1"], actor=Actor.staff(assigner), expected_version=review.version
        )


def _full_four_tops(restaurant):
    confirmed_at(restaurant, ["M2"], party_size=2, start="19:00")
    confirmed_at(restaurant, ["M3"], party_size=4, start="19:00")
    confirmed_at(restaurant, ["T1"], party_size=4, start="19:00")


def test_nearest_time_moves_the_booking_through_the_modification_path_and_seats_it(restaurant, assigner):
    _full_four_tops(restaurant)
    booking = in_review(restaurant, party_size=4, start="19:00")
    ctx = assignment_context(booking_id=booking.pk)
    assert booking_reason_now(ctx=ctx).startswith("every 4-top and 6-top is taken 19:00-")

    options = booking_nearest_times(ctx=ctx)
    assert options, "the party fits earlier or later"
    first = options[0]
    assert all(abs(o.delta_minutes) >= abs(first.delta_minutes) for o in options)
    assert abs(first.delta_minutes) <= 120

    booking_seat_at_time(
        booking=booking,
        start_at=first.start_at,
        table_labels=first.tables,
        actor=Actor.staff(assigner),
        expected_version=booking.version,
    )
    seated = Booking.objects.get(pk=booking.pk)
    assert seated.state == BookingState.CONFIRMED and seated.start_at == first.start_at
    assert _tables(seated) == list(first.tables)
    transitions = list(
        BookingStateHistory.objects.filter(booking=seated)
        .order_by("version")
        .values_list("transition", flat=True)
    )
    assert transitions[-3:] == ["modify", "request_assignment", "confirm"]
    assert seated.version == BookingStateHistory.objects.filter(booking=seated).count()


def test_nearest_time_refuses_a_stale_page_and_writes_nothing(restaurant, assigner):
    _full_four_tops(restaurant)
    booking = in_review(restaurant, party_size=4, start="19:00")
    with pytest.raises(StaleBooking):
        booking_seat_at_time(
            booking=booking,
            start_at=at("17:00"),
            table_labels=["M2"],
            actor=Actor.staff(assigner),
            expected_version=booking.version - 1,
        )
    assert Booking.objects.get(pk=booking.pk).start_at == at("19:00")


def test_the_reseat_proposal_is_applied_as_shown_and_refused_when_the_floor_changed(restaurant, assigner):
    _full_four_tops(restaurant)
    small = Booking.objects.get(party_size=2)
    booking = in_review(restaurant, party_size=4, start="19:00")
    plan = reseat_compute(booking=booking)
    assert plan is not None
    shown = {bid: tuple(new) for bid, (_old, new) in plan.moves.items()}
    assert shown == {str(small.pk): ("M1",)}

    with pytest.raises(StaleBooking):
        booking_seat_with_reseat(
            booking=booking,
            expected_moves={str(small.pk): ("T1",)},
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    assert _tables(small) == ["M2"]

    seated, moves = booking_seat_with_reseat(
        booking=booking, expected_moves=shown, actor=Actor.staff(assigner), expected_version=booking.version
    )
    assert seated.state == BookingState.CONFIRMED and _tables(seated) == ["M2"]
    assert _tables(small) == ["M1"]
    assert BookingStateHistory.objects.filter(booking=seated).latest("version").actor == assigner


def test_the_reseat_offer_names_the_moved_bookings_in_start_order_and_the_signature_to_confirm(
    restaurant, assigner
):
    _full_four_tops(restaurant)
    small = Booking.objects.get(party_size=2)
    booking = in_review(restaurant, party_size=4, start="19:00")
    offer = booking_reseat_offer(booking=booking)
    assert offer is not None
    assert [(m.booking.pk, m.old_tables, m.new_tables) for m in offer.moves] == [(small.pk, ("M2",), ("M1",))]
    assert offer.tables == ("M2",)
    assert json.loads(offer.signature) == {str(small.pk): ["M1"]}
    seated, _moves = booking_seat_with_reseat(
        booking=booking,
        actor=Actor.staff(assigner),
        expected_version=booking.version,
        expected_moves={k: tuple(v) for k, v in json.loads(offer.signature).items()},
    )
    assert _tables(seated) == ["M2"] and _tables(small) == ["M1"]


def test_blocks_keep_the_one_owner_rule(restaurant, assigner):
    from django.db import IntegrityError, transaction

    block = table_block_create(
        restaurant=restaurant,
        table_labels=["M1"],
        start_at=at("12:00"),
        end_at=at("12:00") + timedelta(hours=1),
        reason="deep clean",
        user=assigner,
    )
    booking = in_review(restaurant)
    with pytest.raises(IntegrityError), transaction.atomic():
        TableAllocation.objects.create(
            restaurant=restaurant,
            table=restaurant.tables.get(label="M2"),
            block=block,
            booking=booking,
            start_at=at("12:00"),
            end_at=at("13:00"),
        )


def test_an_override_seats_a_plan_that_breaks_a_soft_rule_and_records_it(restaurant, assigner):
    from assignments.services.manual import InvalidTables, booking_assign_manually

    booking = in_review(restaurant, party_size=5, start="19:00")
    with pytest.raises(InvalidTables, match="seat at most 4; the party is 5"):
        booking_assign_manually(
            booking=booking,
            table_labels=["M2"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    booking_assign_manually(
        booking=booking,
        table_labels=["M2"],
        actor=Actor.staff(assigner),
        expected_version=booking.version,
        override=True,
    )
    seated = Booking.objects.get(pk=booking.pk)
    assert seated.state == BookingState.CONFIRMED and _tables(seated) == ["M2"]
    attempt = BookingAssignmentAttempt.objects.filter(booking=seated).latest("attempt_no")
    assert (
        attempt.reason
        == "seated at M2 by staff:assigner, overriding: Tables M2 seat at most 4; the party is 5"
    )
    assert attempt.metadata["override"].startswith("Tables M2 seat at most 4")
    assert BookingStateHistory.objects.filter(booking=seated).latest("version").metadata["override"]


def test_an_override_never_seats_on_a_taken_or_unknown_table(restaurant, assigner):
    from assignments.services.manual import InvalidTables, booking_assign_manually

    other = confirmed_at(restaurant, ["M2"], party_size=2, start="19:00")
    booking = in_review(restaurant, party_size=5, start="19:00")
    with pytest.raises(TablesTaken, match=f"M2 is taken by #{other.pk}"):
        booking_assign_manually(
            booking=booking,
            table_labels=["M2"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
            override=True,
        )
    with pytest.raises(InvalidTables, match="Unknown"):
        booking_assign_manually(
            booking=booking,
            table_labels=["Z9"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
            override=True,
        )
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW


def test_the_override_needs_its_own_permission_in_the_admin(restaurant, assigner_client, assigner):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    booking = in_review(restaurant, party_size=5, start="19:00")
    url = reverse("admin:assignments_reviewbooking_assign", args=[booking.pk])
    data = {"tables": ["M2"], "override": "1", "version": booking.version}
    assert assigner_client.post(url, data).status_code == 403
    assert 'name="override"' not in assigner_client.get(url).content.decode()
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW

    assigner.user_permissions.add(Permission.objects.get(codename="override_seating"))
    assert 'name="override"' in assigner_client.get(url).content.decode()
    assigner_client.post(url, data)
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED
