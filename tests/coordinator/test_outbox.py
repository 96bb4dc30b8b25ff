"""The outbox relay: publishes to a Redis stream per restaurant, marks events, and notifies."""

from __future__ import annotations

import json

import pytest

from assignments import lifecycle
from assignments.models import OutboxEvent
from assignments.services import outbox
from assignments.services.notifications import notification_send_for_event
from tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_relay_marks_every_event_published_once(restaurant):
    make_booking(restaurant)
    make_booking(restaurant, start="20:00")
    published = []

    assert outbox.outbox_relay(publish=published.extend) == 2
    assert outbox.outbox_relay(publish=published.extend) == 0
    assert len(published) == 2 and not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_a_failed_publish_leaves_events_unpublished(restaurant):
    make_booking(restaurant)

    def broken(events):
        raise ConnectionError("stream down")

    with pytest.raises(ConnectionError):
        outbox.outbox_relay(publish=broken)
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1


@pytest.mark.redis
def test_relay_publishes_to_the_restaurants_stream(restaurant, redis_client):
    booking = make_booking(restaurant)
    outbox.outbox_relay()
    entries = redis_client.xrange(outbox.stream_name(restaurant.pk))
    assert len(entries) == 1
    fields = {k.decode(): v.decode() for k, v in entries[0][1].items()}
    assert fields["type"] == "booking.created" and json.loads(fields["payload"])["booking_id"] == booking.pk


def test_confirmed_booking_mails_the_guest_and_review_mails_ops(restaurant, settings, mailoutbox):
    settings.OPS_NOTIFICATION_EMAILS = ["ops@example.com"]
    a = make_booking(restaurant)
    a.guest_email = "ada@example.com"
    a.save(update_fields=["guest_email"])
    lifecycle.booking_request_assignment(booking=a)
    lifecycle.booking_confirm(booking=a, tables=["M1"], strategy="best_fit")
    b = make_booking(restaurant, start="20:00")
    lifecycle.booking_request_assignment(booking=b)
    lifecycle.booking_send_to_review(booking=b, reason="no free plan")

    for e in OutboxEvent.objects.filter(event_type__in=outbox.NOTIFY_EVENTS):
        notification_send_for_event(event_id=e.pk)

    assert [m.to for m in mailoutbox] == [["ada@example.com"], ["ops@example.com"]]
    assert "M1" in mailoutbox[0].body and "no free plan" in mailoutbox[1].body
