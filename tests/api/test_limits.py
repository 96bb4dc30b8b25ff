"""Limits that fail without them: per-client throttles (429 JSON with Retry-After), live-hold caps, stream caps
and the admin's login lock-out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from assignments.models import Hold
from availability.api.stream_slots import streams_open
from tests.factories import DAY_ISO, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
        }

    return set_rates


def test_bursts_are_throttled_per_client_with_a_json_429(api_a, api_b, restaurant, restaurant_b, rates):
    rates(**{"bookings.burst": "3/min"})
    answers = [api_a.get("/api/bookings/1").status_code for _ in range(5)]
    assert answers == [404, 404, 404, 429, 429]
    r = api_a.get("/api/bookings/1")
    assert r.status_code == 429 and r.json()["error"] == "throttled"
    assert 0 < int(r["Retry-After"]) <= 60 and r.json()["retry_after"] == int(r["Retry-After"])
    assert api_b.get("/api/bookings/1").status_code == 404  # another client has its own budget
    assert (
        api_a.get(f"/api/availability?restaurant={restaurant.slug}&date={DAY_ISO}&party_size=2").status_code
        == 200
    )


def test_sustained_rate_counts_too(api_a, rates):
    rates(**{"bookings.sustained": "4/hour"})
    assert [api_a.get("/api/bookings/1").status_code for _ in range(5)][-1] == 429


def test_a_client_has_a_cap_on_live_holds(api_a, restaurant, settings):
    settings.MAITRE_API = {**settings.MAITRE_API, "HOLDS_MAX_LIVE_PER_CLIENT": 2}

    def hold(table, start="19:00"):
        return api_a.post(
            "/api/holds",
            {
                "restaurant": restaurant.slug,
                "start_at": at(start).isoformat(),
                "tables": [table],
                "ttl_seconds": 60,
            },
            format="json",
        )

    first, second = hold("M1"), hold("M2")
    assert first.status_code == second.status_code == 201
    third = hold("M3")
    assert third.status_code == 409 and third.json()["error"] == "hold_limit_reached"
    assert Hold.objects.count() == 2
    assert api_a.delete(f"/api/holds/{first.json()['id']}").status_code == 204
    assert hold("M3").status_code == 201


def test_holds_last_no_longer_than_the_partys_turn(api_a, restaurant):
    body = {
        "restaurant": restaurant.slug,
        "start_at": at("19:00").isoformat(),
        "party_size": 2,
        "ttl_seconds": 60,
    }
    turn = restaurant.turn_for(2)
    assert api_a.post("/api/holds", {**body, "duration_minutes": turn + 1}, format="json").status_code == 400
    assert api_a.post("/api/holds", {**body, "duration_minutes": turn}, format="json").status_code == 201


def test_a_client_has_a_cap_on_open_streams(api_a, platform_a, restaurant, settings, rates):
    rates(**{"stream.burst": "100/s"})  # the cap, not the throttle, is under test
    settings.MAITRE_API = {**settings.MAITRE_API, "STREAMS_MAX_PER_CLIENT": 2}
    url = f"/api/availability/stream?restaurant={restaurant.slug}&max_seconds=1&heartbeat=0.2"
    first, second = api_a.get(url), api_a.get(url)
    assert first.status_code == second.status_code == 200 and streams_open(user_id=platform_a.pk) == 2
    third = api_a.get(url)
    assert (
        third.status_code == 429
        and third.json()["error"] == "stream_limit_reached"
        and "Retry-After" in third
    )
    assert streams_open(user_id=platform_a.pk) == 2  # a refused stream takes no slot


def test_a_closed_stream_gives_its_slot_back(platform_a, restaurant, settings):
    from availability.api.stream_slots import stream_slot_take
    from availability.api.views import ClientEventStream

    settings.MAITRE_API = {**settings.MAITRE_API, "STREAMS_MAX_PER_CLIENT": 1}
    assert stream_slot_take(user_id=platform_a.pk)
    assert not stream_slot_take(user_id=platform_a.pk)
    stream = ClientEventStream(
        restaurant_id=restaurant.pk, slug=restaurant.slug, heartbeat=1, max_seconds=1, user_id=platform_a.pk
    )
    stream.close()
    stream.close()  # Django may close twice: the slot is given back once
    assert streams_open(user_id=platform_a.pk) == 0
    assert stream_slot_take(user_id=platform_a.pk)


def test_streams_are_shorter_than_an_hour(api_a, restaurant):
    r = api_a.get(f"/api/availability/stream?restaurant={restaurant.slug}&max_seconds=3600")
    assert r.status_code == 400 and "max_seconds" in r.json()["fields"]


def test_admin_login_locks_out_after_repeated_wrong_passwords(settings):
    settings.AXES_ENABLED = True
    get_user_model().objects.create_user("ops", password="right-password-123", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "wrong"})
    r = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "right-password-123"})
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
