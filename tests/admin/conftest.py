"""Staff users with and without the assign permission, bookings in review, and a recorder of enqueued
messages that works on the stub broker and on Redis alike."""

from __future__ import annotations

import dramatiq
import pytest
from django.contrib.auth.models import Permission, User
from dramatiq import Middleware

from assignments import lifecycle
from assignments.models import Booking
from tests.factories import grant, make_booking

VIEW_PERMS = [
    "view_booking",
    "view_reviewbooking",
    "view_restaurant",
    "view_bookingstatehistory",
    "view_bookingassignmentattempt",
    "view_tableallocation",
    "view_hold",
]


def _staff(username: str, codenames: list[str]) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="assignments", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture(autouse=True)
def console_clock(monkeypatch):
    """The console's "now" is noon of the test day, so "tonight" is the day the factories book."""
    from tests.factories import at

    monkeypatch.setattr("assignments.admin.common.console_now", lambda: at("12:00"))
    return at("12:00")


@pytest.fixture
def viewer(db, restaurant) -> User:
    return grant(_staff("viewer", VIEW_PERMS), restaurant, role="host")


@pytest.fixture
def assigner(db, restaurant) -> User:
    return grant(
        _staff("assigner", [*VIEW_PERMS, "assign_booking", "change_booking"]), restaurant, role="manager"
    )


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def assigner_client(client, assigner):
    client.force_login(assigner)
    return client


def in_review(
    restaurant,
    *,
    party_size: int = 2,
    start: str = "19:00",
    reason: str = "no table after 5 attempts",
    **kwargs,
) -> Booking:
    booking = make_booking(restaurant, party_size=party_size, start=start, **kwargs)
    lifecycle.booking_request_assignment(booking=booking)
    lifecycle.booking_send_to_review(booking=booking, reason=reason)
    return Booking.objects.get(pk=booking.pk)


def confirmed_at(restaurant, tables: list[str], *, party_size: int = 2, start: str = "19:00") -> Booking:
    from assignments.context import assignment_context
    from assignments.services.allocations import allocations_create

    booking = make_booking(restaurant, party_size=party_size, start=start)
    lifecycle.booking_request_assignment(booking=booking)
    ctx = assignment_context(booking_id=booking.pk)
    allocations_create(
        tables=[ctx.tables_by_label[t] for t in tables],
        start_at=ctx.window[0],
        end_at=ctx.window[1],
        booking=booking,
    )
    lifecycle.booking_confirm(booking=booking, tables=tables, strategy="test")
    return Booking.objects.get(pk=booking.pk)


class _EnqueueRecorder(Middleware):
    def __init__(self):
        self.sent: list[dramatiq.Message] = []

    def before_enqueue(self, broker, message, delay):
        self.sent.append(message)


@pytest.fixture
def enqueued():
    """Messages sent to the broker during the test (no worker consumes them); the queues are emptied after."""
    import assignments.tasks  # noqa: F401  (declare the actors on the configured broker)

    broker = dramatiq.get_broker()
    recorder = _EnqueueRecorder()
    broker.add_middleware(recorder)
    try:
        yield recorder.sent
    finally:
        broker.middleware.remove(recorder)
        broker.flush_all()


def evening_to_call(restaurant, guests, *, waiting_at: str) -> tuple[list[Booking], Booking]:
    """Tonight's guests to call when the day changes: `guests` (name, tables, party, start) confirmed on their
    tables, a party of 8 already in review (Edsger Dijkstra, 19:45), and Barbara Liskov's couple at `waiting_at`
    asked for and still waiting for the pipeline. Returns the confirmed bookings and the waiting one."""
    confirmed = []
    for name, tables, party, start in guests:
        b = confirmed_at(restaurant, tables, party_size=party, start=start)
        Booking.objects.filter(pk=b.pk).update(guest_name=name)
        confirmed.append(b)
    in_review(
        restaurant, party_size=8, start="19:45", guest_name="Edsger Dijkstra", reason="party of 8: no plan"
    )
    waiting = make_booking(restaurant, party_size=2, start=waiting_at, guest_name="Barbara Liskov")
    lifecycle.booking_request_assignment(booking=waiting)
    return confirmed, waiting
