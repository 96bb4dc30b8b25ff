"""POST /api/bookings/{id}/seat | complete | no-show: a host's evening over the API, through the lifecycle door with
its version check; idempotent, scoped to the caller's restaurants, throttled, refusals as JSON."""

from __future__ import annotations

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from assignments.models import Booking, BookingStateHistory, OutboxEvent, TableAllocation
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Set the API's clock for the step: `clock("19:04")`."""

    def set_clock(hhmm: str):
        monkeypatch.setattr("assignments.api.floor.clock", lambda: at(hhmm))

    set_clock("19:04")
    return set_clock


def confirmed(restaurant) -> Booking:
    """A booking confirmed on M1 19:00-20:30 (its allocation runs to 20:40 with the buffer)."""
    return seated_booking(restaurant, arrived=None)


def step(client, booking, action, **body):
    return client.post(f"/api/bookings/{booking.pk}/{action}", body, format="json")


def trail(booking) -> tuple:
    """What a step writes: the row's version and state, its history rows and events."""
    booking.refresh_from_db()
    return (
        booking.version,
        booking.state,
        BookingStateHistory.objects.filter(booking=booking).count(),
        OutboxEvent.objects.filter(aggregate_id=str(booking.pk)).count(),
    )


def test_a_host_seats_a_party_with_its_version_and_the_step_is_recorded(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    r = step(floor_a, booking, "seat", version=booking.version)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["status"], body["version"], body["arrived_late"]) == (
        "seated",
        "seated",
        booking.version + 1,
        False,
    )
    assert parse_datetime(body["arrived_at"]) == at("19:04") and body["tables"] == ["M1"]
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (last.transition, last.actor_label, last.metadata["late_minutes"]) == ("seat", "api:host_a", 4)
    assert OutboxEvent.objects.filter(aggregate_id=str(booking.pk), event_type="booking.seated").count() == 1


def test_a_party_later_than_the_tolerance_is_noted_late(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    clock("19:20")
    assert step(floor_a, booking, "seat").json()["arrived_late"] is True


def test_a_stale_version_is_a_409_and_writes_nothing(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    before = trail(booking)
    r = step(floor_a, booking, "seat", version=booking.version - 1)
    assert r.status_code == 409 and r.json()["error"] == "version_conflict"
    assert trail(booking) == before


def test_each_step_is_idempotent(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    assert step(floor_a, booking, "seat").status_code == 200
    seated = trail(booking)
    again = step(floor_a, booking, "seat", version=seated[0] - 1)  # a retry of the same request
    assert again.status_code == 200 and again.json()["state"] == "seated"
    assert trail(booking) == seated
    clock("20:00")
    assert step(floor_a, booking, "complete").status_code == 200
    completed = trail(booking)
    assert step(floor_a, booking, "complete").status_code == 200 and trail(booking) == completed


def test_completing_frees_the_rest_of_the_tables_time_at_once(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    step(floor_a, booking, "seat")
    clock("20:00")
    r = step(floor_a, booking, "complete")
    assert r.status_code == 200
    assert (r.json()["state"], r.json()["status"], parse_datetime(r.json()["left_at"])) == (
        "completed",
        "completed",
        at("20:00"),
    )
    allocation = TableAllocation.objects.get(booking=booking)
    assert allocation.end_at == at("20:10")  # left at 20:00 plus the 10-minute buffer, not 20:40


def test_a_no_show_once_the_booking_started(floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    clock("18:55")
    before = trail(booking)
    early = step(floor_a, booking, "no-show")
    assert early.status_code == 400
    assert early.json()["error"] == "invalid_state" and early.json()["state"] == "confirmed"
    assert "not started yet" in early.json()["detail"] and trail(booking) == before
    clock("19:30")
    r = step(floor_a, booking, "no-show", version=booking.version)
    assert r.status_code == 200 and (r.json()["state"], r.json()["status"]) == ("no_show", "no_show")
    assert TableAllocation.objects.get(booking=booking).end_at == at("19:30")


@pytest.mark.parametrize(
    "first, action, state",
    [
        (None, "complete", "confirmed"),  # not seated yet: nobody can leave
        ("seat", "no-show", "seated"),  # the party is here
        ("complete", "seat", "completed"),  # final
        ("no-show", "seat", "no_show"),  # final
    ],
)
def test_a_step_the_state_forbids_is_a_400_naming_the_state(floor_a, restaurant, clock, first, action, state):
    booking = confirmed(restaurant)
    if first == "complete":
        step(floor_a, booking, "seat")
    if first:
        assert step(floor_a, booking, first).status_code == 200
    before = trail(booking)
    r = step(floor_a, booking, action)
    assert r.status_code == 400, r.content
    assert (r.json()["error"], r.json()["state"]) == ("invalid_state", state)
    assert trail(booking) == before


def test_a_booking_still_being_seated_cannot_be_seated(floor_a, restaurant, clock):
    from tests.factories import make_booking

    booking = make_booking(restaurant, start="19:00")
    r = step(floor_a, booking, "seat")
    assert r.status_code == 400 and r.json()["state"] == booking.state


def test_another_tenants_booking_is_a_404_and_unknown_ones_too(floor_b, floor_a, restaurant, clock):
    booking = confirmed(restaurant)
    before = trail(booking)
    for action in ("seat", "complete", "no-show"):
        r = step(floor_b, booking, action)
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert trail(booking) == before
    assert floor_a.post("/api/bookings/999999999/seat", {}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body", [{"version": 0}, {"version": "two"}, {"version": 2**31 - 1}, {"version": None}]
)
def test_a_bad_version_is_a_400(floor_a, restaurant, clock, body):
    booking = confirmed(restaurant)
    r = floor_a.post(f"/api/bookings/{booking.pk}/seat", body, format="json")
    assert r.status_code == 400 and "version" in r.json()["fields"]


def test_no_token_is_a_401_and_a_get_is_a_405(floor_a, restaurant):
    booking = confirmed(restaurant)
    assert APIClient().post(f"/api/bookings/{booking.pk}/seat", {}, format="json").status_code == 401
    r = floor_a.get(f"/api/bookings/{booking.pk}/seat")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_the_steps_are_throttled_with_the_bookings(floor_a, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "bookings.burst": "3/min",
        },
    }
    answers = [floor_a.post("/api/bookings/1/seat", {}, format="json").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert floor_a.get("/api/bookings/1").status_code == 429  # one budget with the bookings' other calls
