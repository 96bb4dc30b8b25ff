"""POST /api/walk-ins: seated at once when a plan is free from now, else a 409 with the next free time (or null),
nothing written on a refusal, another tenant's restaurant a 404, bad input a 400."""

from __future__ import annotations

import pytest

from assignments import lifecycle
from assignments.models import Booking, BookingStateHistory, OutboxEvent, TableAllocation
from assignments.services.blocks import table_block_create
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(monkeypatch):
    """Set the walk-in's clock: `evening("19:30")`."""

    def set_clock(hhmm: str):
        monkeypatch.setattr("assignments.services.walk_ins.clock", lambda: at(hhmm))

    set_clock("19:30")
    return set_clock


def _counts():
    return (
        Booking.objects.count(),
        BookingStateHistory.objects.count(),
        OutboxEvent.objects.count(),
        TableAllocation.objects.count(),
    )


def walk_in(client, restaurant, **body):
    return client.post("/api/walk-ins", {"restaurant": restaurant.slug, **body}, format="json")


def walk_in_body(client, body):
    return client.post("/api/walk-ins", body, format="json")


def test_a_walk_in_with_a_free_plan_is_seated_at_once(floor_a, restaurant, evening):
    r = walk_in(floor_a, restaurant, party_size=2, guest_name="At the door")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["state"], body["status"], body["party_size"], body["guest_name"]) == (
        "seated",
        "seated",
        2,
        "At the door",
    )
    assert body["tables"] and body["arrived_late"] is False
    booking = Booking.objects.get(pk=body["id"])
    assert (booking.start_at, booking.end_at, booking.arrived_at) == (at("19:30"), at("21:00"), at("19:30"))
    # the whole way through the lifecycle: one history row and one event per step
    steps = list(
        BookingStateHistory.objects.filter(booking=booking)
        .order_by("version")
        .values_list("transition", flat=True)
    )
    assert steps == ["create", "request_assignment", "confirm", "seat"]
    events = list(
        OutboxEvent.objects.filter(aggregate_id=str(booking.pk))
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert events == [
        "booking.created",
        "booking.assignment_requested",
        "booking.confirmed",
        "booking.seated",
    ]
    spans = set(TableAllocation.objects.filter(booking=booking).values_list("start_at", "end_at"))
    assert spans == {(at("19:30"), at("21:10"))}  # turn 90 + buffer 10, from now
    assert booking.due_at is None


def test_no_free_plan_is_a_409_with_the_next_free_time_and_nothing_written(floor_a, restaurant, evening):
    table_block_create(
        restaurant=restaurant,
        table_labels=["M2", "M3", "T1"],
        start_at=at("17:00"),
        end_at=at("23:30"),
        reason="private party",
    )
    seated_booking(restaurant, table="M1", start="19:00")  # M1 taken until 20:40 (20:30 + buffer)
    before = _counts()

    r = walk_in(floor_a, restaurant, party_size=2)

    assert r.status_code == 409, r.content
    assert r.json()["error"] == "no_table_free"
    assert r.json()["next_free_at"] == at("20:40").isoformat()
    assert "20:40" in r.json()["detail"]
    assert _counts() == before

    evening("20:40")  # ... and then it is
    r = walk_in(floor_a, restaurant, party_size=2)
    assert r.status_code == 201 and r.json()["tables"] == ["M1"]


def test_the_next_free_time_follows_an_early_completion(floor_a, restaurant, evening):
    table_block_create(
        restaurant=restaurant,
        table_labels=["M2", "M3", "T1"],
        start_at=at("17:00"),
        end_at=at("23:30"),
        reason="private party",
    )
    party = seated_booking(restaurant, table="M1", start="19:00")
    assert walk_in(floor_a, restaurant, party_size=2).json()["next_free_at"] == at("20:40").isoformat()
    lifecycle.booking_complete(booking=party, now=at("19:30"))  # left early: M1 free from 19:40
    assert walk_in(floor_a, restaurant, party_size=2).json()["next_free_at"] == at("19:40").isoformat()


@pytest.mark.parametrize(
    ("clock", "party", "why"),
    [
        ("19:30", 20, "no table or combination"),  # nothing on this floor seats 20
        ("23:45", 2, "not serving"),  # after the last start of the day
    ],
)
def test_no_free_time_today_is_a_409_with_null(floor_a, restaurant, evening, clock, party, why):
    evening(clock)
    before = _counts()
    r = walk_in(floor_a, restaurant, party_size=party)
    assert r.status_code == 409, r.content
    assert r.json()["next_free_at"] is None and why in r.json()["detail"]
    assert _counts() == before


def test_another_tenants_restaurant_is_a_404_and_writes_nothing(floor_b, restaurant, evening):
    before = _counts()
    r = walk_in(floor_b, restaurant, party_size=2)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert walk_in_body(floor_b, {"restaurant": "no-such-place", "party_size": 2}).status_code == 404
    assert _counts() == before


@pytest.mark.parametrize(
    "body",
    [
        {"party_size": 0},
        {"party_size": "two"},
        {"party_size": 101},
        {"party_size": 2, "preferred_zone": "roof"},
        {"party_size": 2, "needs_accessible": "maybe"},
        {"party_size": 2, "guest_name": 5},
        {"party_size": 2, "restaurant": "bad slug!"},
        {"party_size": 2, "restaurant": None},
        {},
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(floor_a, restaurant, evening, body):
    before = _counts()
    r = walk_in_body(floor_a, {"restaurant": restaurant.slug, **body})
    assert r.status_code == 400, r.content
    assert r.json()["error"] == "invalid" and r.json()["fields"]
    assert _counts() == before


def test_without_a_token_it_is_a_401(restaurant, evening):
    from rest_framework.test import APIClient

    r = APIClient().post("/api/walk-ins", {"restaurant": restaurant.slug, "party_size": 2}, format="json")
    assert r.status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_walk_in_waits_for_the_pipelines_lock_on_the_restaurant_day(restaurant, evening):
    """A pipeline batch holds the day's advisory lock: the walk-in decides only after it lets go."""
    import threading
    import time

    from django.db import connection, transaction

    from assignments.coordinator import _lock_key
    from assignments.services.walk_ins import walk_in_seat

    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def batch():
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", _lock_key(restaurant.pk, at("19:30").date())
                )
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def walk_in():
        try:
            walk_in_seat(restaurant=restaurant, party_size=2)
            done.set()
        finally:
            connection.close()

    holder = threading.Thread(target=batch)
    holder.start()
    assert locked.wait(10)
    guest = threading.Thread(target=walk_in)
    guest.start()
    time.sleep(0.5)
    assert not done.is_set()  # waiting behind the batch
    release.set()
    holder.join(10)
    guest.join(10)
    assert done.is_set() and Booking.objects.get().state == "seated"
