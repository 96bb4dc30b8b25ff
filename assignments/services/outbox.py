"""The outbox relay: publishes unpublished events to Redis (one stream per restaurant), hands each event
to its consumers (e-mail, webhooks) as delivery rows, and marks it published, all in one transaction.

At least once: an event is marked only after its publish succeeded, so a crash in between publishes it
again (stream consumers de-duplicate by event id). A consumer's delivery row is written in the same
transaction as the mark, so no consumer can miss an event; each delivery is then retried on its own
(exponential backoff with jitter) until it succeeds or is given up, and one consumer's failure never
blocks another's.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from assignments import metrics
from assignments.conf import events_settings
from assignments.models import DeliveryState, DeliveryStatus, EmailDelivery, OutboxEvent

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
        now = timezone.now()
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(published_at=now)
        for consumer in _consumers():
            consumer(events=events)
    for e in events:
        metrics.OUTBOX_RELAY_LAG_SECONDS.observe(max(0.0, (now - e.created_at).total_seconds()))
    metrics.OUTBOX_EVENTS_PUBLISHED.inc(len(events))
    return len(events)


def _consumers():
    from assignments.services.heal import floor_heal_deliveries_create

    return [
        email_deliveries_create,
        floor_heal_deliveries_create,
        *(import_string(path) for path in events_settings.CONSUMERS),
    ]


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
            {
                "id": e.pk,
                "type": e.event_type,
                "aggregate": f"{e.aggregate_type}:{e.aggregate_id}",
                "correlation_id": e.correlation_id,
                "payload": json.dumps(e.payload, default=str),
            },
            maxlen=STREAM_MAXLEN,
            approximate=True,
        )
    pipe.execute()


# Delivery state shared by every consumer -------------------------------------------------------------


def delivery_backoff_seconds(*, attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then scaled by a random 50-100%
    so that many deliveries failing together do not retry together."""
    conf = events_settings
    delay = min(conf.DELIVERY_MAX_DELAY_SECONDS, conf.DELIVERY_BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.5, 1.0)


def delivery_record_success(*, delivery: DeliveryState, **fields) -> None:
    delivery.attempts += 1
    delivery.status = DeliveryStatus.DELIVERED
    delivery.delivered_at = timezone.now()
    delivery.last_error = ""
    for k, v in fields.items():
        setattr(delivery, k, v)
    delivery.save()


def delivery_record_failure(*, delivery: DeliveryState, error: str, **fields) -> None:
    """One more failed try: due again after a backoff, or given up once the event is older than the
    configured limit (it then stays visible in the admin, where staff can redeliver it)."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_error = error[:2000]
    for k, v in fields.items():
        setattr(delivery, k, v)
    give_up = timedelta(seconds=events_settings.DELIVERY_GIVE_UP_SECONDS)
    if now - delivery.created_at >= give_up:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + timedelta(
            seconds=delivery_backoff_seconds(attempts=delivery.attempts)
        )
    delivery.save()


DELIVERY_TRANSACTION_TIMEOUT = "10min"  # far above any send's own timeouts (EMAIL_TIMEOUT, the webhook's)


def delivery_claim(
    model: type[DeliveryState], *, delivery_id: int, related: Iterable[str] = ()
) -> DeliveryState | None:
    """Lock one pending delivery for the caller's transaction (skipping one that another worker holds). The
    caller then sends it (an HTTP POST, an SMTP exchange) inside that transaction and records the outcome: the
    session's idle-in-transaction bound (DB_IDLE_IN_TRANSACTION_TIMEOUT, 30 s) is lifted to
    DELIVERY_TRANSACTION_TIMEOUT for it, so a slow receiver or mail server cannot end the session before the
    outcome is written (the row lock holds nothing else up: other workers skip it)."""
    qs = model.objects.select_related(*related).filter(pk=delivery_id, status=DeliveryStatus.PENDING)
    if connection.vendor != "postgresql":
        return qs.first()
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{DELIVERY_TRANSACTION_TIMEOUT}'")
    return qs.select_for_update(skip_locked=True, of=("self",)).first()


def deliveries_due(model: type[DeliveryState], *, limit: int = 500) -> list[int]:
    return list(
        model.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_redeliver(*, delivery: DeliveryState) -> None:
    """Staff asked for another try: pending and due now, whatever happened before."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])


# The e-mail consumer ----------------------------------------------------------------------------------


def email_deliveries_create(*, events: list[OutboxEvent]) -> None:
    wanted = [e for e in events if e.event_type in NOTIFY_EVENTS]
    if not wanted:
        return
    now = timezone.now()
    created = EmailDelivery.objects.bulk_create([EmailDelivery(event=e, next_attempt_at=now) for e in wanted])
    ids = [d.pk for d in created]

    def wake():
        from assignments.jobs import send_email_delivery

        for pk in ids:
            send_email_delivery.send(delivery_id=pk)

    transaction.on_commit(wake)


def email_delivery_send(*, delivery_id: int) -> bool:
    """Send one e-mail delivery if it is still pending; True when it went out (or needed no mail)."""
    from assignments.services.notifications import notification_send_for_event

    with transaction.atomic():
        delivery = delivery_claim(EmailDelivery, delivery_id=delivery_id)
        if delivery is None:
            return False
        try:
            notification_send_for_event(event_id=delivery.event_id)
        except Exception as exc:  # the mail server's failure is this delivery's, to retry
            logger.warning("e-mail delivery %s failed: %s", delivery_id, exc)
            delivery_record_failure(delivery=delivery, error=f"{type(exc).__name__}: {exc}")
            metrics.DELIVERIES.labels(
                "email", "failed" if delivery.status == DeliveryStatus.FAILED else "retry"
            ).inc()
            return False
        delivery_record_success(delivery=delivery)
        metrics.DELIVERIES.labels("email", "delivered").inc()
        return True


def email_deliveries_send_due(*, limit: int = 500) -> int:
    """The safety net: every e-mail delivery that is due (lost wake-up, retry after a failure)."""
    return sum(email_delivery_send(delivery_id=pk) for pk in deliveries_due(EmailDelivery, limit=limit))
