"""Data clean-up before rolling back past the per-consumer deliveries (assignments 0006, webhooks 0001).

The previous release e-mails guests and ops when it publishes an event, and knows no webhooks. So before
its migrations are undone: events whose e-mail was not sent yet are marked unpublished again (the old
relay publishes them and sends the e-mail), and webhook deliveries not yet accepted are written to a
JSON-lines file, to replay or hand to the platforms, because their tables are about to go.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from assignments.management.base import MaitreCommand
from assignments.management.summary import write_summary
from assignments.models import DeliveryStatus, EmailDelivery, OutboxEvent
from webhooks.models import WebhookDelivery


class Command(MaitreCommand):
    help = "Before migrating back past the delivery tables: hand pending e-mails back to the relay, export pending webhooks."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be done; change nothing")
        parser.add_argument("--webhooks-out", default=str(settings.BASE_DIR / "artifacts" / "undelivered-webhooks.jsonl"),
                            help="file to export the undelivered webhooks to")

    def handle(self, *args, dry_run, webhooks_out, **options):
        unsent = EmailDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
        waiting = WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).select_related("event", "subscription")
        with transaction.atomic():
            event_ids = list(unsent.values_list("event_id", flat=True))
            hooks = [
                {"delivery_id": d.pk, "status": d.status, "url": d.subscription.url, "event_id": d.event_id,
                 "event_type": d.event.event_type, "payload": d.event.payload, "attempts": d.attempts}
                for d in waiting
            ]
            if not dry_run:
                OutboxEvent.objects.filter(pk__in=event_ids).update(published_at=None)
                unsent.delete()
                if hooks:
                    path = Path(webhooks_out)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("".join(json.dumps(h, default=str) + "\n" for h in hooks))
        write_summary(self, "rollback clean-up" + (" (dry run: nothing changed)" if dry_run else ""), [
            ("events handed back to the relay for their e-mail", len(event_ids)),
            ("webhook deliveries exported", f"{len(hooks)}" + (f" -> {webhooks_out}" if hooks and not dry_run else "")),
        ])
