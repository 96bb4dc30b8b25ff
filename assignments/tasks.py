"""Dramatiq actors: thin, they load ids and call a service. Assignment messages are wake-ups only: the due
bookings in Postgres are the work, so a message may be lost, duplicated or late at no cost but time."""

from __future__ import annotations

import time
from datetime import date

import dramatiq
from dramatiq.middleware import CurrentMessage
from dramatiq_crontab import cron, interval

from assignments import metrics
from assignments.conf import events_settings


def _observe_queue_latency(actor: str) -> None:
    message = CurrentMessage.get_current_message()
    if message is not None:
        eta = message.options.get("eta")
        enqueued_ms = eta if eta else message.message_timestamp
        metrics.QUEUE_LATENCY_SECONDS.labels(actor).observe(max(0.0, time.time() - enqueued_ms / 1000))


@dramatiq.actor(queue_name="assignments", max_retries=0, time_limit=120_000)
def assign_due(restaurant_id: int, service_date: str | None = None) -> None:
    """Decide the due bookings of one restaurant service day (nothing, if another worker has it)."""
    from assignments.coordinator import assign_due as decide

    _observe_queue_latency("assign_due")
    decide(
        restaurant_id=restaurant_id, service_date=date.fromisoformat(service_date) if service_date else None
    )


@dramatiq.actor(queue_name="events", max_retries=10, time_limit=60_000)
def relay_outbox(batch_size: int = 500) -> None:
    """On demand; the scheduler relays every few seconds through assignments.jobs.relay_outbox_periodic."""
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
    """Wake workers for every restaurant day with due work (each worker also sweeps every second)."""
    from assignments.services.pipeline import bookings_requeue_stuck

    bookings_requeue_stuck()


# Read once, when this module is imported: the scheduler's interval is fixed for the process (restart to change it).
@interval(seconds=events_settings.SCHEDULE_SECONDS["sweep_holds"])
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_expired_holds() -> None:
    """Every 30 s by default (one `manage.py scheduler` runs the schedule): drop expired holds."""
    from assignments.services.holds import holds_sweep_expired

    holds_sweep_expired()
