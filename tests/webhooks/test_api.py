"""The webhook subscription API: each API client manages its own subscriptions; bad input is a 400 JSON
error that writes nothing; another client's subscription is a 404."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import FloorFactory, grant
from webhooks.models import WebhookSubscription
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def _client(username: str) -> APIClient:
    user = get_user_model().objects.create_user(username, password="x")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    c.user = user
    return c


@pytest.fixture
def client(db):
    """A booking platform serving a restaurant of its own (not the `restaurant` fixture's)."""
    c = _client("platform")
    grant(c.user, FloorFactory.small())
    return c


def test_create_returns_the_secret_and_lists_only_ones_own(client, restaurant):
    grant(client.user, restaurant)
    r = client.post(
        "/api/webhooks/subscriptions",
        {
            "url": "https://platform.example/hooks",
            "event_types": ["booking.confirmed", "booking.manual_review"],
            "restaurant": restaurant.slug,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["secret"].startswith("whsec_") and body["restaurant"] == restaurant.slug
    assert body["event_types"] == ["booking.confirmed", "booking.manual_review"] and body["is_active"] is True
    webhook_subscription_create(owner=_client("other").user, url="https://other.example/h", event_types=[])

    listed = client.get("/api/webhooks/subscriptions").json()
    assert [s["id"] for s in listed] == [body["id"]]


def test_every_booking_event_the_outbox_carries_can_be_chosen(client, restaurant):
    """A subscription to every event hears of a booking's tables changing (a re-seat, the day optimizer, staff
    moving it); one that lists its events may choose that one too, and each of the lifecycle's."""
    from assignments.lifecycle import BOOKING_FAILED, BOOKING_MODIFIED, EVENT_FOR_STATE
    from assignments.services.seating import TABLES_CHANGED

    emitted = {*EVENT_FOR_STATE.values(), BOOKING_FAILED, BOOKING_MODIFIED, TABLES_CHANGED}
    grant(client.user, restaurant)
    r = client.post(
        "/api/webhooks/subscriptions",
        {
            "url": "https://platform.example/hooks",
            "event_types": sorted(emitted),
            "restaurant": restaurant.slug,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["event_types"] == sorted(emitted)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://x.example/h"}, "url"),
        ({"url": "https://x.example/h", "event_types": ["booking.exploded"]}, "event_types"),
        ({"url": "https://x.example/h", "restaurant": "no-such-place"}, "restaurant"),
        ({}, "url"),
    ],
)
def test_bad_input_is_a_json_400_naming_the_field_and_writes_nothing(client, payload, field):
    r = client.post("/api/webhooks/subscriptions", payload, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid" and field in r.json()["fields"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/h",
        "http://localhost/h",
        "http://10.1.2.3/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_private_addresses_are_refused(client, url):
    r = client.post("/api/webhooks/subscriptions", {"url": url}, format="json")
    assert r.status_code == 400 and "public addresses only" in str(r.json()["fields"]["url"])
    assert not WebhookSubscription.objects.exists()


def test_update_pause_and_delete_ones_own(client):
    sub = webhook_subscription_create(owner=client.user, url="https://platform.example/h", event_types=[])
    r = client.patch(
        f"/api/webhooks/subscriptions/{sub.pk}",
        {"is_active": False, "event_types": ["booking.cancelled"]},
        format="json",
    )
    assert (
        r.status_code == 200
        and r.json()["is_active"] is False
        and r.json()["event_types"] == ["booking.cancelled"]
    )
    assert r.json()["url"] == "https://platform.example/h"
    assert client.get(f"/api/webhooks/subscriptions/{sub.pk}/deliveries").json() == []
    assert client.delete(f"/api/webhooks/subscriptions/{sub.pk}").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_another_clients_subscription_is_not_found(client):
    theirs = webhook_subscription_create(
        owner=_client("other").user, url="https://other.example/h", event_types=[]
    )
    for method in ("get", "patch", "delete"):
        r = getattr(client, method)(f"/api/webhooks/subscriptions/{theirs.pk}", {}, format="json")
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get(f"/api/webhooks/subscriptions/{theirs.pk}/deliveries").status_code == 404
    assert WebhookSubscription.objects.get(pk=theirs.pk).is_active


def test_another_tenants_restaurant_is_unknown(client, restaurant):
    r = client.post(
        "/api/webhooks/subscriptions",
        {"url": "https://x.example/h", "restaurant": restaurant.slug},
        format="json",
    )
    assert r.status_code == 400 and "restaurant" in r.json()["fields"]
    assert not WebhookSubscription.objects.exists()


def test_anonymous_is_refused():
    assert APIClient().get("/api/webhooks/subscriptions").status_code == 401


def test_another_tenants_restaurant_cannot_be_subscribed_to(client, restaurant):
    r = client.post(
        "/api/webhooks/subscriptions",
        {"url": "https://platform.example/hooks", "restaurant": restaurant.slug},
        format="json",
    )
    assert r.status_code == 400 and "restaurant" in r.json()["fields"]
    assert not WebhookSubscription.objects.exists()
