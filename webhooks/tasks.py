"""Webhook actors: thin, they take ids and call a service. The periodic sweep is the safety net for lost
wake-ups and the carrier of retries (a failed delivery is simply due again later)."""

import dramatiq
from dramatiq_crontab import interval

from assignments.conf import events_settings


@dramatiq.actor(queue_name="events", max_retries=0, time_limit=60_000)
def deliver_webhook(delivery_id: int) -> None:
    from webhooks.services import webhook_delivery_send

    webhook_delivery_send(delivery_id=delivery_id)


# Read once, when this module is imported: the scheduler's interval is fixed for the process (restart to change it).
@interval(seconds=events_settings.SCHEDULE_SECONDS["deliveries"])
@dramatiq.actor(queue_name="events", max_retries=0, time_limit=300_000)
def send_due_webhook_deliveries() -> None:
    from webhooks.services import webhook_deliveries_send_due

    webhook_deliveries_send_due()
