"""Retry (bulk and single) enqueues each booking once as the staff user; the audit trail cannot be edited."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
)
from tests.admin.conftest import in_review

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:assignments_reviewbooking_changelist")


def test_bulk_retry_enqueues_each_booking_once_as_the_staff_user(
    restaurant, assigner, assigner_client, enqueued, django_capture_on_commit_callbacks
):
    bookings = [in_review(restaurant, start=t) for t in ("18:00", "19:00", "20:00")]
    ignored = in_review(restaurant, start="21:00")

    with django_capture_on_commit_callbacks(execute=True):
        response = assigner_client.post(
            QUEUE, {"action": "retry_selected", "_selected_action": [b.pk for b in bookings]}, follow=True
        )

    html = response.content.decode()
    for b in bookings:  # one message per booking, saying what happened to it
        assert f"{Booking.objects.get(pk=b.pk)}: sent to automatic assignment (a plan is free now: M1" in html
    day = Booking.objects.get(pk=bookings[0].pk).service_date.isoformat()
    wakeups = Counter(m.args for m in enqueued if m.actor_name == "assign_due")
    assert set(wakeups) == {(restaurant.pk, day)}  # one restaurant day to look at
    for b in bookings:
        fresh = Booking.objects.get(pk=b.pk)
        assert fresh.state == BookingState.ASSIGNMENT_PENDING and fresh.due_at is not None  # due once, now
        last = BookingStateHistory.objects.filter(booking=b).latest("version")
        assert (last.transition, last.actor, last.metadata["trigger"]) == (
            "request_assignment",
            assigner,
            "retry",
        )
    assert Booking.objects.get(pk=ignored.pk).state == BookingState.MANUAL_REVIEW


def test_retry_of_one_booking_from_its_page(
    restaurant, assigner_client, enqueued, django_capture_on_commit_callbacks
):
    booking = in_review(restaurant)
    url = reverse("admin:assignments_booking_retry", args=[booking.pk])
    assert assigner_client.get(url).status_code == 405

    with django_capture_on_commit_callbacks(execute=True):
        assigner_client.post(url, {"version": booking.version})

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.ASSIGNMENT_PENDING and fresh.due_at is not None
    assert [m.args for m in enqueued] == [(restaurant.pk, fresh.service_date.isoformat())]


def test_retry_with_a_stale_version_is_refused_and_nothing_enqueued(
    restaurant, assigner_client, enqueued, django_capture_on_commit_callbacks
):
    booking = in_review(restaurant)
    url = reverse("admin:assignments_booking_retry", args=[booking.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = assigner_client.post(url, {"version": booking.version - 1}, follow=True)

    assert "changed by someone else" in response.content.decode()
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (BookingState.MANUAL_REVIEW, booking.version)
    assert enqueued == []


@pytest.mark.parametrize("model", ["bookingstatehistory", "bookingassignmentattempt"])
def test_history_and_attempts_cannot_be_edited_or_deleted(restaurant, admin_client, model):
    booking = in_review(restaurant)
    row = BookingAssignmentAttempt.objects.create(
        booking=booking, attempt_no=1, strategy="best_fit", result="no_plan"
    )
    if model == "bookingstatehistory":
        row = BookingStateHistory.objects.filter(booking=booking).latest("version")
    before = {k: v for k, v in row.__dict__.items() if not k.startswith("_")}
    change = reverse(f"admin:assignments_{model}_change", args=[row.pk])
    delete = reverse(f"admin:assignments_{model}_delete", args=[row.pk])

    page = admin_client.get(change)  # even a superuser only reads
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {"reason": "edited", "to_state": "cancelled"}).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse(f"admin:assignments_{model}_add")).status_code == 403
    changelist = reverse(f"admin:assignments_{model}_changelist")
    admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    row.refresh_from_db()
    assert {k: v for k, v in row.__dict__.items() if not k.startswith("_")} == before


def test_the_booking_page_shows_history_attempts_and_allocations_read_only(restaurant, admin_client):
    from assignments.lifecycle import Actor
    from assignments.services.manual import booking_assign_manually

    booking = in_review(restaurant)
    BookingAssignmentAttempt.objects.create(
        booking=booking,
        attempt_no=1,
        strategy="best_fit",
        result="no_plan",
        reason="no free table or combination fits the party",
    )
    from django.contrib.auth.models import User

    booking_assign_manually(
        booking=booking,
        table_labels=["M2"],
        actor=Actor.staff(User.objects.get()),
        expected_version=booking.version,
    )

    html = admin_client.get(reverse("admin:assignments_booking_change", args=[booking.pk])).content.decode()

    assert "State history" in html and "Assignment attempts" in html and "Allocations" in html
    assert "no free table or combination fits the party" in html and "staff:admin" in html
    assert 'name="history-TOTAL_FORMS"' in html  # the inlines are there, with nothing editable in them
    for prefix, fields in (
        ("history", ("to_state", "transition", "actor_label", "metadata")),
        ("attempts", ("strategy", "result", "reason")),
        ("allocations", ("table", "start_at")),
    ):
        for field in fields:
            assert f'name="{prefix}-0-{field}"' not in html
        assert f'name="{prefix}-0-DELETE"' not in html


def test_the_retry_service_tells_what_happened_to_the_booking(restaurant, assigner, enqueued):
    """booking_retry_by_staff (the admin only words its outcome): queued with a plan in view, or refused on a
    stale version with nothing written."""
    from assignments.lifecycle import Actor
    from assignments.services.manual import booking_retry_by_staff

    booking = in_review(restaurant)
    stale = booking_retry_by_staff(
        booking=booking, actor=Actor.staff(assigner), expected_version=booking.version - 1
    )
    assert (stale.result, stale.tables) == ("refused", ())
    assert "changed by someone else" in stale.error
    assert Booking.objects.get(pk=booking.pk).state == BookingState.MANUAL_REVIEW

    out = booking_retry_by_staff(
        booking=booking, actor=Actor.staff(assigner), expected_version=booking.version
    )
    assert (out.result, out.plan_now) == ("queued", True)
    assert out.reason_before.startswith("a plan is free now")
    assert Booking.objects.get(pk=booking.pk).state == BookingState.ASSIGNMENT_PENDING
