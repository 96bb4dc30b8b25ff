"""Dramatiq actors: thin, they load ids and call a service."""

from __future__ import annotations

import time

import dramatiq
from dramatiq.middleware import CurrentMessage
from dramatiq_crontab import cron

from assignments import metrics


def _observe_queue_latency(actor: str) -> None:
    message = CurrentMessage.get_current_message()
    if message is not None:
        eta = message.options.get("eta")
        enqueued_ms = eta if eta else message.message_timestamp
        metrics.QUEUE_LATENCY_SECONDS.labels(actor).observe(max(0.0, time.time() - enqueued_ms / 1000))


@dramatiq.actor(queue_name="assignments", max_retries=5, min_backoff=200, max_backoff=30_000, time_limit=60_000)
def process_booking(
    booking_id: int, trigger: str = "creation", correlation_id: str = "", retry_no: int = 0,
    restaurant_id: int | None = None,
) -> None:
    from assignments.coordinator import process_booking as coordinate

    _observe_queue_latency("process_booking")
    coordinate(booking_id=booking_id, trigger=trigger, correlation_id=correlation_id, retry_no=retry_no,
               restaurant_id=restaurant_id)


@dramatiq.actor(queue_name="assignments-retry", priority=100, max_retries=5, min_backoff=200, max_backoff=30_000,
                time_limit=60_000)
def retry_booking(
    booking_id: int, trigger: str = "retry", correlation_id: str = "", retry_no: int = 0,
    restaurant_id: int | None = None,
) -> None:
    """A scheduled retry: the same work as process_booking, on its own queue and behind fresh bookings
    (workers run prefetched messages by actor priority)."""
    from assignments.coordinator import process_booking as coordinate

    _observe_queue_latency("retry_booking")
    coordinate(booking_id=booking_id, trigger=trigger, correlation_id=correlation_id, retry_no=retry_no,
               restaurant_id=restaurant_id)


@dramatiq.actor(queue_name="events", max_retries=10, time_limit=60_000)
def relay_outbox(batch_size: int = 500) -> None:
    from assignments.services.outbox import outbox_relay

    while outbox_relay(batch_size=batch_size) == batch_size:
        pass


@dramatiq.actor(queue_name="events", max_retries=5)
def notify_booking_event(event_id: int) -> None:
    """Kept for messages queued before e-mails had their own delivery rows: sends that delivery, once."""
    from assignments.models import EmailDelivery
    from assignments.services.outbox import email_delivery_send

    for pk in EmailDelivery.objects.filter(event_id=event_id).values_list("pk", flat=True):
        email_delivery_send(delivery_id=pk)


@cron("* * * * *")
@dramatiq.actor(queue_name="maintenance", max_retries=3)
def requeue_stuck_bookings() -> None:
    from assignments.services.pipeline import bookings_requeue_stuck

    bookings_requeue_stuck()
