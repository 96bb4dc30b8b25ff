"""The receiver: freed tables offered to the day's bookings in review (one try each), through the lifecycle door
and the pipeline's own pass; the kill switch, the margin, staff at work and the tenancy respected."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.flags import flags_set
from assignments.locks import booking_lock
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
)
from assignments.services.heal import floor_heal
from tests.factories import DAY, FloorFactory, at
from tests.heal.helpers import (
    _due_at_once,  # noqa: F401  (autouse: heals due at once)
    seated,
    tables_of,
    transitions,
    waiting_in_review,
)


def healed_total(outcome: str) -> float:
    return REGISTRY.get_sample_value("maitre_floor_healed_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def full_floor(restaurant):
    """T1 and M2+M3 taken at 19:00 by parties of 5 and 8; M1 by a couple; a party of 6 waits in review."""
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    eight = seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    couple = seated(restaurant, ["M1"], party_size=2, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")
    return five, eight, couple, six


def test_a_cancellation_lets_the_review_booking_be_seated_automatically(
    restaurant, full_floor, django_capture_on_commit_callbacks
):
    five, _, _, six = full_floor
    seated_before = healed_total("seated")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=five, reason="guest called")
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING
    offer = BookingStateHistory.objects.get(booking=six, transition="request_assignment", version=six.version)
    assert offer.actor_label == "floor_heal"
    assert offer.metadata["reason"].startswith("floor healed: tables freed up at ")
    assert offer.metadata["reason"].endswith(f"(cancellation of #{five.pk})")

    assign_due(restaurant_id=restaurant.pk, service_date=DAY)

    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED and tables_of(six) == ["T1"]
    confirm = BookingStateHistory.objects.get(booking=six, version=six.version)
    assert confirm.metadata["healed"].startswith("seated automatically after tables freed up at ")
    event = OutboxEvent.objects.filter(aggregate_id=str(six.pk), event_type="booking.confirmed").get()
    assert event.payload["cause"] == {"kind": "floor_healed", "detail": six.heal_cause}
    assert f"cancellation of #{five.pk}" in six.heal_cause
    assert healed_total("seated") == seated_before + 1


def test_a_healed_booking_that_still_does_not_fit_goes_back_to_review_after_one_attempt(
    restaurant, full_floor, django_capture_on_commit_callbacks
):
    _, _, couple, six = full_floor
    back_before = healed_total("back_to_review")
    attempts_before = BookingAssignmentAttempt.objects.filter(booking=six).count()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=couple)  # a 2-top frees up: no use to a party of 6

    outcomes = assign_due(restaurant_id=restaurant.pk, service_date=DAY)

    six.refresh_from_db()
    assert [o.status for o in outcomes] == ["manual_review"]  # straight back: no retry, no re-seat
    assert six.state == BookingState.MANUAL_REVIEW and six.assignment_attempts == 1
    assert transitions(six)[-2:] == [
        ("request_assignment", "assignment_pending"),
        ("send_to_review", "manual_review"),
    ]
    reason = BookingStateHistory.objects.get(booking=six, version=six.version).metadata["reason"]
    assert reason.startswith("still no free plan after tables freed up at ")
    new_attempts = BookingAssignmentAttempt.objects.filter(booking=six).order_by("id")[attempts_before:]
    assert {a.attempt_no for a in new_attempts} == {1} and "reseat" not in {a.strategy for a in new_attempts}
    assert healed_total("back_to_review") == back_before + 1
    assert not Booking.objects.filter(pk=six.pk, state=BookingState.ASSIGNMENT_PENDING).exists()


def test_each_freed_tables_event_offers_a_review_booking_once(
    restaurant, full_floor, django_capture_on_commit_callbacks
):
    five, _, couple, six = full_floor
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=couple)
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # back to review
    assert Booking.objects.get(pk=six.pk).state == BookingState.MANUAL_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=Booking.objects.get(pk=five.pk))
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED
    assert [t for t, _ in transitions(six)].count("request_assignment") == 3  # creation + two heals
    assert six.heal_version == six.version - 1  # the mark went stale with the confirmation


def test_a_modified_booking_after_a_heal_gets_the_whole_retry_cycle_again(restaurant, full_floor):
    """The one-try mark belongs to the heal's version: any later change of state leaves it behind."""
    from assignments.services.heal import healing_cause

    *_, six = full_floor
    floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled")
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # no room: back to review
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW and healing_cause(six) == ""
    from assignments.services.pipeline import booking_submit_for_assignment

    booking_submit_for_assignment(booking=six, trigger="retry")
    assert healing_cause(Booking.objects.get(pk=six.pk)) == ""
    outcomes = assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    assert outcomes[0].status == "retry_scheduled"  # the normal cycle of retries, not straight back after one


def test_only_bookings_whose_window_is_still_ahead_are_offered(restaurant, full_floor):
    *_, six = full_floor
    late = waiting_in_review(restaurant, party_size=2, start="21:30")
    result = floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled", now=at("19:20"))
    assert result.offered == [late.pk]  # 19:30 starts within the 15-minute margin of 19:20: left alone
    assert Booking.objects.get(pk=six.pk).state == BookingState.MANUAL_REVIEW


def test_a_booking_staff_are_working_on_is_left_alone(restaurant, full_floor):
    *_, six = full_floor
    with booking_lock(six.pk):
        result = floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled")
    assert result.offered == [] and result.left_alone == [six.pk]
    assert Booking.objects.get(pk=six.pk).state == BookingState.MANUAL_REVIEW


def test_the_booking_whose_tables_were_freed_is_not_offered_them(restaurant, full_floor):
    *_, six = full_floor
    result = floor_heal(
        restaurant_id=restaurant.pk, service_date=DAY, reason="released", exclude_booking_ids={six.pk}
    )
    assert result.offered == []


@pytest.mark.parametrize("switches", [{"kill_switch": True}, {"shadow_mode": True}, {"pipeline_v3": False}])
def test_nothing_is_seated_automatically_unless_the_engine_runs(
    restaurant, full_floor, switches, django_capture_on_commit_callbacks
):
    five, *_, six = full_floor
    flags_set(**switches)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=five)
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW
    assert transitions(six)[-1] == ("send_to_review", "manual_review")


def test_a_booking_healed_before_the_kill_switch_came_on_goes_back_to_review_unseated(
    restaurant, full_floor, django_capture_on_commit_callbacks
):
    five, *_, six = full_floor
    lifecycle.booking_cancel(booking=five)
    assert floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled").offered == [six.pk]
    with django_capture_on_commit_callbacks(execute=True):  # waffle forgets its cached switches on commit
        flags_set(kill_switch=True)

    assign_due(restaurant_id=restaurant.pk, service_date=DAY)

    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW and tables_of(six) == []
    assert (
        "legacy mode" in BookingStateHistory.objects.get(booking=six, version=six.version).metadata["reason"]
    )


def test_bookings_backing_off_are_made_due_and_other_days_and_restaurants_are_untouched(
    restaurant, full_floor
):
    *_, six = full_floor
    other = FloorFactory.small()
    elsewhere = waiting_in_review(other, party_size=6)
    from django.utils import timezone

    backing_off = waiting_in_review(restaurant, party_size=2, start="20:00")
    Booking.objects.filter(pk=backing_off.pk).update(
        state=BookingState.ASSIGNMENT_PENDING, due_at=timezone.now() + timezone.timedelta(minutes=5)
    )

    result = floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled")

    assert result.offered == [six.pk] and result.hastened == 1
    assert Booking.objects.get(pk=backing_off.pk).due_at <= timezone.now()
    assert Booking.objects.get(pk=elsewhere.pk).state == BookingState.MANUAL_REVIEW
