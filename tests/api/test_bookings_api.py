"""The platforms' API: every status code of POST /api/assignments/process, and the booking endpoints."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assignments import lifecycle
from assignments.locks import booking_lock, set_lock_manager
from assignments.models import Booking, BookingState, BookingStateHistory
from tests.factories import DAY_ISO, grant, make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_locks(settings):
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        get_redis_connection("default").flushdb()
    set_lock_manager(None)
    yield
    set_lock_manager(None)


@pytest.fixture
def client(restaurant):
    user = grant(get_user_model().objects.create_user("platform", password="x"), restaurant)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return c


def process(client, booking_id, trigger="retry"):
    return client.post(
        "/api/assignments/process", {"bookingId": booking_id, "trigger": trigger}, format="json"
    )


def test_process_accepts_with_a_correlation_id(client, restaurant):
    booking = make_booking(restaurant)
    r = process(client, booking.pk, "creation")
    assert r.status_code == 202
    assert r.json()["status"] == "accepted" and len(r.json()["correlationId"]) == 32
    booking.refresh_from_db()
    assert (
        booking.state == BookingState.ASSIGNMENT_PENDING
        and booking.last_correlation_id == r.json()["correlationId"]
    )


def test_process_conflict_when_the_lock_is_held(client, restaurant):
    booking = make_booking(restaurant)
    with booking_lock(booking.pk):
        r = process(client, booking.pk)
    assert r.status_code == 409 and r.json()["error"] == "locked"
    assert Booking.objects.get(pk=booking.pk).state == BookingState.PENDING


def test_process_rejects_a_cancelled_booking(client, restaurant):
    booking = lifecycle.booking_cancel(booking=make_booking(restaurant))
    r = process(client, booking.pk)
    assert r.status_code == 400 and r.json()["error"] == "invalid_state" and r.json()["state"] == "cancelled"


def test_process_confirmed_only_for_a_modification(client, restaurant):
    booking = make_booking(restaurant)
    lifecycle.booking_request_assignment(booking=booking)
    lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test")
    assert process(client, booking.pk, "retry").status_code == 400
    assert process(client, booking.pk, "modification").status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"trigger": "retry"}, "bookingId"),
        ({"bookingId": "x", "trigger": "retry"}, "bookingId"),
        ({"bookingId": 1, "trigger": "whenever"}, "trigger"),
        ({"bookingId": 1}, "trigger"),
    ],
)
def test_process_malformed_input_names_the_field(client, body, field):
    r = client.post("/api/assignments/process", body, format="json")
    assert r.status_code == 400 and field in r.json()["fields"]


def test_process_unknown_booking_is_404(client):
    r = process(client, 999_999)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_process_without_credentials_is_401():
    r = APIClient().post("/api/assignments/process", {"bookingId": 1, "trigger": "retry"}, format="json")
    assert r.status_code == 401 and "error" in r.json()


def test_create_booking_then_read_it(client, restaurant):
    r = client.post(
        "/api/bookings",
        {
            "restaurant": restaurant.slug,
            "party_size": 2,
            "start_at": f"{DAY_ISO}T19:00:00+00:00",
            "external_ref": "ext-1",
            "preferred_zone": "main",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["state"] == "assignment_pending" and body["status"] == "pending" and body["correlation_id"]
    got = client.get(f"/api/bookings/{body['id']}").json()
    assert got["external_ref"] == "ext-1" and got["preferred_zone"] == "main" and got["tables"] == []
    assert [h.to_state for h in BookingStateHistory.objects.filter(booking_id=body["id"])] == [
        "pending",
        "assignment_pending",
    ]


def test_create_is_idempotent_on_the_platforms_reference(client, restaurant):
    body = {
        "restaurant": restaurant.slug,
        "party_size": 2,
        "start_at": f"{DAY_ISO}T19:00:00+00:00",
        "external_ref": "ext-2",
    }
    first, second = (
        client.post("/api/bookings", body, format="json"),
        client.post("/api/bookings", body, format="json"),
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"restaurant": "nowhere"}, "restaurant"),
        ({"party_size": 0}, "party_size"),
        ({"start_at": "tomorrow"}, "start_at"),
        ({"start_at": f"{DAY_ISO}T09:00:00+00:00"}, "start_at"),
        ({"preferred_zone": "roof"}, "preferred_zone"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(client, restaurant, patch, field):
    body = {"restaurant": restaurant.slug, "party_size": 2, "start_at": f"{DAY_ISO}T19:00:00+00:00", **patch}
    r = client.post("/api/bookings", body, format="json")
    assert r.status_code == 400 and field in r.json()["fields"]
    assert Booking.objects.count() == 0


def test_modify_a_confirmed_booking_requeues_it(client, restaurant):
    booking = make_booking(restaurant)
    lifecycle.booking_request_assignment(booking=booking)
    lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test")
    r = client.patch(
        f"/api/bookings/{booking.pk}", {"party_size": 3, "version": booking.version}, format="json"
    )
    assert r.status_code == 202 and r.json()["state"] == "assignment_pending" and r.json()["party_size"] == 3
    stale = client.patch(
        f"/api/bookings/{booking.pk}", {"party_size": 4, "version": booking.version}, format="json"
    )
    assert stale.status_code == 409


def test_cancel_then_cancel_again(client, restaurant):
    booking = make_booking(restaurant)
    assert (
        client.post(f"/api/bookings/{booking.pk}/cancel", {"reason": "guest"}, format="json").json()["status"]
        == "cancelled"
    )
    again = client.post(f"/api/bookings/{booking.pk}/cancel", {}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"  # idempotent
    assert BookingStateHistory.objects.filter(booking=booking, to_state="cancelled").count() == 1


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_health_reports_every_dependency(client, settings):
    r = client.get("/health/")
    checks = r.json()["checks"]
    assert (
        r.status_code == 200
        and r.json()["status"] == "ok"
        and set(checks) == {"database", "clock", "redis", "broker"}
    )
    assert checks["database"] == "ok"
    expected = "ok" if settings.REDIS_URL else "embedded"
    assert checks["redis"] == checks["broker"] == expected


def test_metrics_expose_our_series(client, restaurant):
    make_booking(restaurant)
    text = client.get("/metrics").content.decode()
    for name in (
        "maitre_lock_acquire_seconds",
        "maitre_booking_transition_seconds",
        "maitre_assignment_outcomes_total",
        "maitre_circuit_breaker_open",
        "maitre_queue_latency_seconds",
        "maitre_manual_review_bookings",
    ):
        assert name in text
