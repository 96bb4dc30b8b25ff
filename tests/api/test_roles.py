"""Roles restrict API actions (README, "API": roles): booking platforms and managers make, change and cancel
bookings and hold tables; hosts and managers seat walk-ins and seat, complete and mark no-shows; every member
reads. Refused: a 403 JSON naming who may and the caller's role, and nothing written."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from assignments.models import Booking, BookingStateHistory, Hold, OutboxEvent
from tests.api.conftest import token_client
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import DAY_ISO, at, grant

pytestmark = pytest.mark.django_db

BOOKING_WRITE = "Bookings and holds are made, changed and cancelled by booking platforms and managers"
FLOOR_WRITE = "Walk-ins, seating, completing and no-shows are for the restaurant's hosts and managers"


@pytest.fixture
def evening(monkeypatch):
    monkeypatch.setattr("assignments.services.walk_ins.clock", lambda: at("19:30"))
    monkeypatch.setattr("assignments.api.floor.clock", lambda: at("19:05"))


def member(restaurant, role: str):
    return token_client(grant(get_user_model().objects.create_user(f"{role}-1"), restaurant, role=role))


def writes() -> tuple:
    return (
        Booking.objects.count(),
        BookingStateHistory.objects.count(),
        OutboxEvent.objects.count(),
        Hold.objects.count(),
    )


def _calls(restaurant):
    """Each write of the API with a valid body: (name, what it needs, how to call it)."""
    booking = seated_booking(restaurant, arrived=None)  # confirmed on M1 19:00
    slug = restaurant.slug
    return [
        (
            "create",
            "booking",
            lambda c: c.post(
                "/api/bookings",
                {"restaurant": slug, "party_size": 2, "start_at": at("20:00").isoformat()},
                format="json",
            ),
        ),
        (
            "modify",
            "booking",
            lambda c: c.patch(f"/api/bookings/{booking.pk}", {"party_size": 3}, format="json"),
        ),
        ("cancel", "booking", lambda c: c.post(f"/api/bookings/{booking.pk}/cancel", {}, format="json")),
        (
            "process",
            "booking",
            lambda c: c.post(
                "/api/assignments/process",
                {"bookingId": booking.pk, "trigger": "modification"},
                format="json",
            ),
        ),
        (
            "hold",
            "booking",
            lambda c: c.post(
                "/api/holds",
                {"restaurant": slug, "start_at": at("21:00").isoformat(), "party_size": 2},
                format="json",
            ),
        ),
        (
            "walk-in",
            "floor",
            lambda c: c.post("/api/walk-ins", {"restaurant": slug, "party_size": 2}, format="json"),
        ),
        ("seat", "floor", lambda c: c.post(f"/api/bookings/{booking.pk}/seat", {}, format="json")),
        ("complete", "floor", lambda c: c.post(f"/api/bookings/{booking.pk}/complete", {}, format="json")),
        ("no-show", "floor", lambda c: c.post(f"/api/bookings/{booking.pk}/no-show", {}, format="json")),
    ]


ALLOWED = {"platform": {"booking"}, "host": {"floor"}, "manager": {"booking", "floor"}}
ROLE_LABEL = {"platform": "Booking platform (API client)", "host": "Host", "manager": "Manager"}


@pytest.mark.parametrize("role", ["platform", "host", "manager"])
def test_each_role_may_do_its_actions_and_no_other(restaurant, evening, role):
    client = member(restaurant, role)
    seen = {}
    for name, needs, call in _calls(restaurant):
        before = writes()
        r = call(client)
        seen[name] = r.status_code
        if needs in ALLOWED[role]:
            assert r.status_code not in (401, 403), (name, r.content)
        else:
            assert r.status_code == 403, (name, r.content)
            body = r.json()
            assert body["error"] == "permission_denied"
            who = BOOKING_WRITE if needs == "booking" else FLOOR_WRITE
            assert body["detail"] == f"{who}; your role is {ROLE_LABEL[role]}.", body
            assert writes() == before, name
    assert all(code < 500 for code in seen.values()), seen


@pytest.mark.parametrize("role", ["platform", "host", "manager"])
def test_every_member_reads(restaurant, role):
    client = member(restaurant, role)
    booking = seated_booking(restaurant, arrived=None)
    assert client.get(f"/api/bookings/{booking.pk}").status_code == 200
    r = client.get(f"/api/availability?restaurant={restaurant.slug}&date={DAY_ISO}&party_size=2")
    assert r.status_code == 200


def test_a_role_counts_at_its_own_restaurant_only(restaurant, restaurant_b, evening):
    """A host of A who is B's booking platform seats at A, not at B (403 naming the role there)."""
    user = grant(get_user_model().objects.create_user("both"), restaurant, role="host")
    grant(user, restaurant_b, role="platform")
    client = token_client(user)
    at_a = seated_booking(restaurant, arrived=None)
    at_b = seated_booking(restaurant_b, arrived=None)
    assert client.post(f"/api/bookings/{at_a.pk}/seat", {}, format="json").status_code == 200
    before = writes()
    r = client.post(f"/api/bookings/{at_b.pk}/seat", {}, format="json")
    assert r.status_code == 403
    assert r.json()["detail"] == f"{FLOOR_WRITE}; your role here is Booking platform (API client)."
    assert writes() == before
    r = client.post("/api/walk-ins", {"restaurant": restaurant_b.slug, "party_size": 2}, format="json")
    assert r.status_code == 403 and writes() == before
    r = client.patch(f"/api/bookings/{at_a.pk}", {"party_size": 3}, format="json")  # host at A: no changes
    assert r.status_code == 403 and "your role here is Host" in r.json()["detail"]


def test_another_tenants_booking_stays_a_404_for_a_host(restaurant, restaurant_b, evening):
    client = member(restaurant_b, "host")
    booking = seated_booking(restaurant, arrived=None)
    assert client.post(f"/api/bookings/{booking.pk}/seat", {}, format="json").status_code == 404


def test_a_superuser_may_do_everything(restaurant, evening):
    root = get_user_model().objects.create_superuser("root", password="x")
    client = token_client(root)
    for name, _needs, call in _calls(restaurant):
        r = call(client)
        assert r.status_code not in (401, 403), (name, r.content)


def test_the_403_is_in_the_schema_of_every_write(restaurant):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    writes_ = [
        ("/api/bookings", "post"),
        ("/api/bookings/{id}", "patch"),
        ("/api/bookings/{id}/cancel", "post"),
        ("/api/bookings/{id}/seat", "post"),
        ("/api/bookings/{id}/complete", "post"),
        ("/api/bookings/{id}/no-show", "post"),
        ("/api/walk-ins", "post"),
        ("/api/assignments/process", "post"),
        ("/api/holds", "post"),
        ("/api/holds/{hold_id}", "delete"),
    ]
    assert [w for w in writes_ if "403" not in paths[w[0]][w[1]]["responses"]] == []
