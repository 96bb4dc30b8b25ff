"""Webhook deliveries: fanned out by the relay, signed, retried with backoff, given up, redelivered; and
per-consumer delivery state, so that a failing consumer never loses or blocks another."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assignments import lifecycle
from assignments.models import DeliveryStatus, EmailDelivery, OutboxEvent
from assignments.services import outbox
from tenancy.services import membership_grant
from tests.factories import FloorFactory, grant, make_booking
from tests.webhooks.receiver import Answering, Receiver
from webhooks.models import WebhookDelivery
from webhooks.services import (
    webhook_deliveries_send_due,
    webhook_delivery_send,
    webhook_subscription_create,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("allow_private_webhooks")]


@pytest.fixture
def platform(db, restaurant):
    return grant(User.objects.create_user(username="platform"), restaurant)


def _confirmed_and_reviewed(restaurant):
    a = make_booking(restaurant)
    a.guest_email = "ada@example.com"
    a.save(update_fields=["guest_email"])
    lifecycle.booking_request_assignment(booking=a)
    lifecycle.booking_confirm(booking=a, tables=["M1"], strategy="best_fit")
    b = make_booking(restaurant, start="20:00")
    lifecycle.booking_request_assignment(booking=b)
    lifecycle.booking_send_to_review(booking=b, reason="no free plan")
    return a, b


def _make_due():
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def test_the_relay_fans_out_only_what_each_subscription_wants(restaurant, platform):
    every = webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/a", event_types=[])
    confirmed = webhook_subscription_create(
        owner=platform, url="http://127.0.0.1:8141/b", event_types=["booking.confirmed"]
    )
    webhook_subscription_create(
        owner=platform, url="http://127.0.0.1:8141/c", event_types=[], is_active=False
    )
    _confirmed_and_reviewed(restaurant)

    assert outbox.outbox_relay(publish=lambda events: None) == 6
    assert WebhookDelivery.objects.filter(subscription=every).count() == 6
    assert list(
        WebhookDelivery.objects.filter(subscription=confirmed).values_list("event__event_type", flat=True)
    ) == ["booking.confirmed"]
    assert WebhookDelivery.objects.count() == 7
    assert EmailDelivery.objects.count() == 2  # the guest's confirmation and ops' review alert


def test_a_client_hears_only_of_its_own_restaurants(restaurant, platform):
    other_place = FloorFactory.small()
    stranger = User.objects.create_user(username="stranger")
    membership_grant(user=stranger, restaurant=other_place)
    webhook_subscription_create(owner=stranger, url="http://127.0.0.1:8141/x", event_types=[])
    mine = webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/a", event_types=[])
    _confirmed_and_reviewed(restaurant)

    outbox.outbox_relay(publish=lambda events: None)
    assert set(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == {mine.pk}


def test_a_failed_publish_writes_no_delivery(restaurant, platform):
    webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/a", event_types=[])
    _confirmed_and_reviewed(restaurant)

    def broken(events):
        raise ConnectionError("stream down")

    with pytest.raises(ConnectionError):
        outbox.outbox_relay(publish=broken)
    assert not WebhookDelivery.objects.exists() and not EmailDelivery.objects.exists()
    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()


def test_signed_delivery_reaches_a_verifying_receiver_once(restaurant, platform):
    with Receiver() as receiver:
        sub = webhook_subscription_create(owner=platform, url=receiver.url, event_types=["booking.confirmed"])
        receiver.secret = sub.secret
        a, _ = _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)
        delivery = WebhookDelivery.objects.get()

        assert webhook_delivery_send(delivery_id=delivery.pk) is True
        assert webhook_delivery_send(delivery_id=delivery.pk) is False  # delivered: never sent twice

    delivery.refresh_from_db()
    assert (
        delivery.status == DeliveryStatus.DELIVERED
        and delivery.last_status_code == 204
        and delivery.attempts == 1
    )
    body = receiver.bodies[f"evt_{delivery.event_id}"]
    assert body["type"] == "booking.confirmed" and body["data"]["booking_id"] == a.pk
    assert receiver.snapshot()["bad"] == 0


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(restaurant, platform):
    with Receiver(secret="whsec_" + "A" * 44) as receiver:
        webhook_subscription_create(owner=platform, url=receiver.url, event_types=["booking.confirmed"])
        _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)
        assert webhook_delivery_send(delivery_id=WebhookDelivery.objects.get().pk) is False
    delivery = WebhookDelivery.objects.get()
    assert receiver.snapshot()["bad"] == 1
    assert (
        delivery.status == "pending"
        and delivery.last_status_code == 401
        and delivery.last_error == "HTTP 401"
    )


def test_failures_back_off_with_jitter_then_every_event_arrives_exactly_once(restaurant, platform, settings):
    settings.MAITRE_EVENTS = {**settings.MAITRE_EVENTS, "DELIVERY_BASE_DELAY_SECONDS": 10.0}
    with Receiver(fail_first=2) as receiver:
        sub = webhook_subscription_create(owner=platform, url=receiver.url, event_types=[])
        receiver.secret = sub.secret
        _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)

        before = timezone.now()
        assert webhook_deliveries_send_due() == 0
        delays = [(d.next_attempt_at - before).total_seconds() for d in WebhookDelivery.objects.all()]
        assert all(4.9 <= s <= 10.5 for s in delays), delays  # base 10 s, scaled by 50-100% jitter
        assert len({round(s, 3) for s in delays}) > 1  # not all at once
        assert webhook_deliveries_send_due() == 0  # nothing is due yet

        _make_due()
        assert webhook_deliveries_send_due() == 0
        second = {
            d.pk: (d.next_attempt_at - timezone.now()).total_seconds() for d in WebhookDelivery.objects.all()
        }
        assert all(s >= 9.0 for s in second.values())  # the second failure waits about twice as long
        _make_due()
        assert webhook_deliveries_send_due() == 6

    snap = receiver.snapshot()
    ids = {f"evt_{pk}" for pk in OutboxEvent.objects.values_list("pk", flat=True)}
    assert (
        snap["accepted"] == {i: 1 for i in ids} and snap["tries"] == {i: 3 for i in ids} and snap["bad"] == 0
    )
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 3)}


def test_given_up_after_the_configured_time_then_redelivered_from_the_admin(
    restaurant, platform, settings, admin_client
):
    settings.MAITRE_EVENTS = {**settings.MAITRE_EVENTS, "DELIVERY_GIVE_UP_SECONDS": 60.0}
    with Receiver(fail_first=1) as receiver:
        sub = webhook_subscription_create(
            owner=platform, url=receiver.url, event_types=["booking.manual_review"]
        )
        receiver.secret = sub.secret
        _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)
        WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(seconds=61))
        delivery = WebhookDelivery.objects.get()
        assert webhook_delivery_send(delivery_id=delivery.pk) is False
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 500
        assert webhook_deliveries_send_due() == 0  # given up: the sweep leaves it alone

        page = admin_client.get("/admin/webhooks/webhookdelivery/?status__exact=failed")
        assert page.status_code == 200 and "given up" in page.content.decode()
        r = admin_client.post(
            "/admin/webhooks/webhookdelivery/", {"action": "redeliver", "_selected_action": [delivery.pk]}
        )
        assert r.status_code == 302
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.next_attempt_at <= timezone.now()
        assert webhook_deliveries_send_due() == 1
    assert receiver.snapshot()["accepted"] == {f"evt_{delivery.event_id}": 1}


def test_a_failing_webhook_never_blocks_the_emails_and_a_failing_mail_server_is_retried(
    restaurant, platform, settings, mailoutbox, monkeypatch
):
    settings.OPS_NOTIFICATION_EMAILS = ["ops@example.com"]
    webhook_subscription_create(owner=platform, url="http://127.0.0.1:9/nowhere", event_types=[])
    _confirmed_and_reviewed(restaurant)
    outbox.outbox_relay(publish=lambda events: None)

    assert webhook_deliveries_send_due() == 0  # connection refused: all pending, retried later
    assert set(WebhookDelivery.objects.values_list("status", "last_error")) == {
        ("pending", "connection refused")
    }

    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages
    monkeypatch.setattr(
        EmailBackend, "send_messages", lambda self, msgs: (_ for _ in ()).throw(OSError("smtp down"))
    )
    assert outbox.email_deliveries_send_due() == 0
    assert set(EmailDelivery.objects.values_list("status", "attempts")) == {("pending", 1)}
    assert "smtp down" in EmailDelivery.objects.first().last_error

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    EmailDelivery.objects.update(next_attempt_at=timezone.now())
    assert outbox.email_deliveries_send_due() == 2
    assert outbox.email_deliveries_send_due() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.com", "ops@example.com"]


def test_an_all_restaurants_subscription_hears_only_of_the_owners_restaurants(restaurant, platform):
    from tests.factories import FloorFactory

    webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/a", event_types=[])
    elsewhere = FloorFactory.small()
    _confirmed_and_reviewed(elsewhere)
    outbox.outbox_relay(publish=lambda events: None)
    assert not WebhookDelivery.objects.exists()
    _confirmed_and_reviewed(restaurant)
    outbox.outbox_relay(publish=lambda events: None)
    assert WebhookDelivery.objects.exists()
    assert set(WebhookDelivery.objects.values_list("event__restaurant_id", flat=True)) == {restaurant.pk}


def test_a_host_name_resolving_to_a_private_address_is_refused_at_delivery_and_nothing_is_connected(
    restaurant, platform, settings, monkeypatch
):
    settings.MAITRE_EVENTS = {**settings.MAITRE_EVENTS, "WEBHOOK_ALLOW_PRIVATE_HOSTS": False}  # production's
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # the tenant's DNS name points at our own machine
        return real("127.0.0.1" if host == "hooks.platform.test" else host, port, *args, **kwargs)

    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        sub = webhook_subscription_create(
            owner=platform, url=f"http://hooks.platform.test:{port}/hooks", event_types=["booking.confirmed"]
        )
        _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        assert webhook_delivery_send(delivery_id=WebhookDelivery.objects.get().pk) is False
        monkeypatch.setattr(socket, "getaddrinfo", real)
    assert receiver.snapshot()["tries"] == {}  # nothing reached the receiver

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=platform).key}")
    r = client.get(f"/api/webhooks/subscriptions/{sub.pk}/deliveries")
    assert r.status_code == 200
    assert [d["last_error"] for d in r.json()] == ["refused: resolves to a private address"]


def test_a_redirect_is_a_failed_delivery_and_never_followed(restaurant, platform):
    with Answering(status=302) as server:
        webhook_subscription_create(
            owner=platform, url=f"http://127.0.0.1:{server.port}/hooks", event_types=["booking.confirmed"]
        )
        _confirmed_and_reviewed(restaurant)
        outbox.outbox_relay(publish=lambda events: None)
        assert webhook_delivery_send(delivery_id=WebhookDelivery.objects.get().pk) is False
    assert [path for path, _, _ in server.requests] == ["/hooks"]  # no second request to the Location
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "pending",
        302,
        "HTTP 302: redirects are not followed",
    )
