"""Who may manage webhook subscriptions (README, "API": roles): booking platforms and managers, at the
subscription's restaurant; hosts are refused with the 403 of every role refusal, reads included, and nothing is
written. A second tenant never sees or touches another's subscriptions or deliveries, over the API, through the
relay's fan-out, or in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from assignments import lifecycle
from assignments.services import outbox
from tests.api.conftest import token_client
from tests.factories import FloorFactory, grant, make_booking
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

WHO = "Webhook subscriptions and their deliveries are for booking platforms and managers"
URL = "https://hooks.example.com/maitre"


def member(name: str, role: str, *restaurants):
    user = get_user_model().objects.create_user(name)
    for r in restaurants:
        grant(user, r, role=role)
    return user


def _every_call(client, sub_pk: int, slug: str):
    return {
        "list": client.get("/api/webhooks/subscriptions"),
        "create": client.post("/api/webhooks/subscriptions", {"url": URL, "restaurant": slug}, format="json"),
        "read": client.get(f"/api/webhooks/subscriptions/{sub_pk}"),
        "change": client.patch(f"/api/webhooks/subscriptions/{sub_pk}", {"is_active": False}, format="json"),
        "deliveries": client.get(f"/api/webhooks/subscriptions/{sub_pk}/deliveries"),
        "delete": client.delete(f"/api/webhooks/subscriptions/{sub_pk}"),
    }


def test_a_host_is_refused_every_webhook_call_with_a_403_naming_who_may(restaurant):
    host = member("host-1", "host", restaurant)
    sub = webhook_subscription_create(owner=host, url=URL, event_types=[], restaurant=restaurant)
    before = list(WebhookSubscription.objects.values_list("pk", "is_active"))

    answers = _every_call(token_client(host), sub.pk, restaurant.slug)

    for name, r in answers.items():
        assert r.status_code == 403, (name, r.status_code)
        assert r.json() == {"error": "permission_denied", "detail": f"{WHO}; your role is Host."}, name
    assert list(WebhookSubscription.objects.values_list("pk", "is_active")) == before


@pytest.mark.parametrize("role", ["platform", "manager"])
def test_platforms_and_managers_may_do_everything_with_their_own(restaurant, role):
    client = token_client(member(f"{role}-1", role, restaurant))
    created = client.post(
        "/api/webhooks/subscriptions", {"url": URL, "restaurant": restaurant.slug}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    answers = _every_call(client, pk, restaurant.slug)
    assert {name: r.status_code for name, r in answers.items()} == {
        "list": 200,
        "create": 201,
        "read": 200,
        "change": 200,
        "deliveries": 200,
        "delete": 204,
    }
    assert [s["id"] for s in answers["list"].json()] == [pk]


def test_the_role_counts_at_the_subscriptions_restaurant(restaurant):
    """A platform at A that is only a host at B: A's subscriptions are its to manage, B's are refused with
    "your role here", and a subscription to B is not listed."""
    elsewhere = FloorFactory.small()
    user = member("mixed", "platform", restaurant)
    grant(user, elsewhere, role="host")
    at_b = webhook_subscription_create(owner=user, url=URL, event_types=[], restaurant=elsewhere)
    at_a = webhook_subscription_create(owner=user, url=URL, event_types=[], restaurant=restaurant)
    everywhere = webhook_subscription_create(owner=user, url=URL, event_types=[])
    client = token_client(user)
    here = f"{WHO}; your role here is Host."

    r = client.post("/api/webhooks/subscriptions", {"url": URL, "restaurant": elsewhere.slug}, format="json")
    assert r.status_code == 403 and r.json()["detail"] == here
    for call in (
        lambda: client.get(f"/api/webhooks/subscriptions/{at_b.pk}"),
        lambda: client.get(f"/api/webhooks/subscriptions/{at_b.pk}/deliveries"),
        lambda: client.delete(f"/api/webhooks/subscriptions/{at_b.pk}"),
        lambda: client.patch(
            f"/api/webhooks/subscriptions/{at_a.pk}", {"restaurant": elsewhere.slug}, format="json"
        ),
    ):
        r = call()
        assert r.status_code == 403 and r.json() == {"error": "permission_denied", "detail": here}
    assert WebhookSubscription.objects.get(pk=at_a.pk).restaurant_id == restaurant.pk
    assert WebhookSubscription.objects.filter(pk=at_b.pk).exists()
    assert WebhookSubscription.objects.count() == 3

    listed = client.get("/api/webhooks/subscriptions").json()
    assert sorted(s["id"] for s in listed) == sorted([at_a.pk, everywhere.pk])
    assert client.get(f"/api/webhooks/subscriptions/{everywhere.pk}").status_code == 200


def test_a_second_tenant_never_sees_or_touches_anothers_subscriptions_or_deliveries(restaurant):
    restaurant_b = FloorFactory.small()
    platform_a = member("platform-a", "platform", restaurant)
    manager_b = member("manager-b", "manager", restaurant_b)
    theirs = webhook_subscription_create(owner=platform_a, url=URL, event_types=[], restaurant=restaurant)
    b = make_booking(restaurant)
    lifecycle.booking_request_assignment(booking=b)
    outbox.outbox_relay(publish=lambda events: None)
    assert WebhookDelivery.objects.filter(subscription=theirs).count() == 2
    client = token_client(manager_b)

    assert client.get("/api/webhooks/subscriptions").json() == []
    for name, r in _every_call(client, theirs.pk, restaurant.slug).items():
        if name == "list":
            continue
        # Another tenant's subscription is unknown; naming another tenant's restaurant is unknown input.
        expected = (400, "invalid") if name == "create" else (404, "not_found")
        assert (r.status_code, r.json()["error"]) == expected, name
        assert URL not in r.content.decode() and "whsec_" not in r.content.decode()
    fresh = WebhookSubscription.objects.get(pk=theirs.pk)
    assert fresh.is_active and WebhookDelivery.objects.filter(subscription=fresh).count() == 2
    assert WebhookSubscription.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_relay_sends_a_host_nothing_and_a_mixed_client_only_where_it_may(restaurant):
    """The fan-out follows the same rule: deliveries only for restaurants where the owner is a booking platform
    or a manager, also through a subscription to all restaurants."""
    elsewhere = FloorFactory.small()
    host = member("host-1", "host", restaurant)
    mixed = member("mixed", "manager", elsewhere)
    grant(mixed, restaurant, role="host")
    webhook_subscription_create(owner=host, url=URL, event_types=[])
    everywhere = webhook_subscription_create(owner=mixed, url=URL, event_types=[])
    for place in (restaurant, elsewhere):
        lifecycle.booking_request_assignment(booking=make_booking(place))

    outbox.outbox_relay(publish=lambda events: None)

    assert set(WebhookDelivery.objects.values_list("subscription_id", "event__restaurant_id")) == {
        (everywhere.pk, elsewhere.pk)
    }


def _staff(name: str, restaurant) -> Client:
    user = get_user_model().objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    grant(user, restaurant, role="manager")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_shows_staff_only_their_restaurants_subscriptions_and_deliveries(restaurant):
    restaurant_b = FloorFactory.small()
    platform = member("platform-a", "platform", restaurant, restaurant_b)
    at_a = webhook_subscription_create(
        owner=platform, url="https://a.example/h", event_types=[], restaurant=restaurant
    )
    webhook_subscription_create(
        owner=platform, url="https://b.example/h", event_types=[], restaurant=restaurant_b
    )
    everywhere = webhook_subscription_create(owner=platform, url="https://all.example/h", event_types=[])
    member("stranger-a", "platform", restaurant)
    for place in (restaurant, restaurant_b):
        lifecycle.booking_request_assignment(booking=make_booking(place))
    outbox.outbox_relay(publish=lambda events: None)
    staff_b = _staff("manager-b", restaurant_b)

    page = staff_b.get("/admin/webhooks/webhooksubscription/").content.decode()
    assert "b.example" in page and "a.example" not in page and "all.example" not in page
    for sub in (at_a, everywhere):
        assert staff_b.get(f"/admin/webhooks/webhooksubscription/{sub.pk}/change/").status_code == 302
        staff_b.post(f"/admin/webhooks/webhooksubscription/{sub.pk}/delete/", {"post": "yes"})
    assert WebhookSubscription.objects.count() == 3

    log = staff_b.get("/admin/webhooks/webhookdelivery/").content.decode()
    shown = set(
        WebhookDelivery.objects.filter(event__restaurant_id=restaurant_b.pk).values_list("pk", flat=True)
    )
    hidden = set(
        WebhookDelivery.objects.filter(event__restaurant_id=restaurant.pk).values_list("pk", flat=True)
    )
    assert shown and hidden
    assert all(f"/admin/webhooks/webhookdelivery/{pk}/change/" in log for pk in shown)
    assert not any(f"/admin/webhooks/webhookdelivery/{pk}/change/" in log for pk in hidden)
    assert "a.example" not in log  # nor in the subscription filter

    add = staff_b.get("/admin/webhooks/webhooksubscription/add/").content.decode()
    assert "stranger-a" not in add and "platform-a" in add and restaurant.name not in add
    r = staff_b.post(
        "/admin/webhooks/webhooksubscription/add/",
        {"owner": platform.pk, "url": "https://new.example/h", "secret": "whsec_x", "event_types": "[]"},
    )
    assert (
        r.status_code == 200 and not WebhookSubscription.objects.filter(url="https://new.example/h").exists()
    )
