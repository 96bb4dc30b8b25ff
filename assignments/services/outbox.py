"""The outbox relay: publishes unpublished events to Redis (one stream per restaurant) and marks them
published. At least once: an event is marked only after its publish succeeded, so a crash in between
publishes it again; consumers de-duplicate by event id."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from assignments.models import OutboxEvent

logger = logging.getLogger("maitre.outbox")
NOTIFY_EVENTS = ("booking.confirmed", "booking.manual_review")
STREAM_MAXLEN = 100_000


def stream_name(restaurant_id: int | None) -> str:
    return f"maitre:events:restaurant:{restaurant_id or 'none'}"


def outbox_relay(*, batch_size: int = 500, publish=None) -> int:
    """Publish one batch; returns how many events were published. Safe to run in several workers at
    once on Postgres (SKIP LOCKED)."""
    publish = publish or _publish
    with transaction.atomic():
        qs = OutboxEvent.objects.filter(published_at__isnull=True).order_by("id")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        events = list(qs[:batch_size])
        if not events:
            return 0
        publish(events)
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(published_at=timezone.now())
    _dispatch_notifications(events)
    return len(events)


def _publish(events: list[OutboxEvent]) -> None:
    if not settings.REDIS_URL:
        for e in events:
            logger.debug("event %s %s %s", e.pk, e.event_type, e.aggregate_id)
        return
    from django_redis import get_redis_connection

    pipe = get_redis_connection("default").pipeline(transaction=False)
    for e in events:
        pipe.xadd(
            stream_name(e.restaurant_id),
            {"id": e.pk, "type": e.event_type, "aggregate": f"{e.aggregate_type}:{e.aggregate_id}",
             "correlation_id": e.correlation_id, "payload": json.dumps(e.payload, default=str)},
            maxlen=STREAM_MAXLEN, approximate=True,
        )
    pipe.execute()


def _dispatch_notifications(events: list[OutboxEvent]) -> None:
    wanted = [e.pk for e in events if e.event_type in NOTIFY_EVENTS]
    if not wanted:
        return
    from assignments.tasks import notify_booking_event

    for pk in wanted:
        notify_booking_event.send(event_id=pk)
