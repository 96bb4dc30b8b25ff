"""Periodic and delivery actors for events going out, run by `manage.py scheduler` + the workers.

The relay runs every few seconds (MAITRE_EVENTS["SCHEDULE_SECONDS"], events_settings.SCHEDULE_SECONDS), not every minute: a booking
platform waiting for its webhook should not wait a minute. Each actor is thin: it calls one service.
"""

import dramatiq
from dramatiq_crontab import interval

from assignments.conf import events_settings

# Read once, when this module is imported: the scheduler's interval is fixed for the process (restart to change it).
SCHEDULE = events_settings.SCHEDULE_SECONDS


@interval(seconds=SCHEDULE["relay_outbox"])
@dramatiq.actor(queue_name="events", max_retries=0, time_limit=60_000)
def relay_outbox_periodic(batch_size: int = 500) -> None:
    """Relay every unpublished event (batch after batch) to the streams and the consumers."""
    from assignments.services.outbox import outbox_relay

    while outbox_relay(batch_size=batch_size) == batch_size:
        pass


@dramatiq.actor(queue_name="events", max_retries=0, time_limit=60_000)
def send_email_delivery(delivery_id: int) -> None:
    from assignments.services.outbox import email_delivery_send

    email_delivery_send(delivery_id=delivery_id)


@interval(seconds=SCHEDULE["deliveries"])
@dramatiq.actor(queue_name="events", max_retries=0, time_limit=300_000)
def send_due_email_deliveries() -> None:
    from assignments.services.outbox import email_deliveries_send_due

    email_deliveries_send_due()


@dramatiq.actor(queue_name="events", max_retries=0, time_limit=120_000)
def heal_floor(event_id: int) -> None:
    """The floor heal a `tables.freed` event calls for, unless it ran already (assignments.services.heal)."""
    from assignments.services.heal import floor_heal_delivery_run

    floor_heal_delivery_run(event_id=event_id)


@interval(seconds=SCHEDULE["deliveries"])
@dramatiq.actor(queue_name="events", max_retries=0, time_limit=300_000)
def run_due_floor_heals() -> None:
    """The safety net for heals whose freeing process died before them, lost wake-ups and retries."""
    from assignments.services.heal import floor_heal_deliveries_run_due

    floor_heal_deliveries_run_due()


@interval(seconds=SCHEDULE["no_shows"])
@dramatiq.actor(queue_name="maintenance", max_retries=0, time_limit=60_000)
def mark_no_shows_periodic() -> None:
    """Confirmed bookings past their start plus the restaurant's grace, not seated: no-shows."""
    from assignments.services.no_shows import no_shows_mark_due

    no_shows_mark_due()
