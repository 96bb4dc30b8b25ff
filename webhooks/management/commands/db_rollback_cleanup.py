"""Data clean-up before rolling back past the per-consumer deliveries (assignments 0006, webhooks 0001).

The previous release e-mails guests and ops when it publishes an event, and knows no webhooks. So before
its migrations are undone: events whose e-mail was not sent yet are marked unpublished again (the old
relay publishes them and sends the e-mail), and webhook deliveries not yet accepted are written to a
JSON-lines file, to replay or hand to the platforms, because their tables are about to go.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand
from assignments.management.summary import write_summary
from webhooks.services import deliveries_hand_back_for_rollback


class Command(MaitreCommand):
    help = "Before migrating back past the delivery tables: hand pending e-mails back to the relay, export pending webhooks."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be done; change nothing")
        parser.add_argument(
            "--webhooks-out",
            default=str(settings.BASE_DIR / "artifacts" / "undelivered-webhooks.jsonl"),
            help="file to export the undelivered webhooks to",
        )

    def handle(self, *args, dry_run, webhooks_out, **options):
        path = Path(webhooks_out)
        if path.is_dir():  # said before anything is handed back, not after
            raise CommandError(f"--webhooks-out {webhooks_out}: is a directory; give a file name")
        try:
            events, hooks = deliveries_hand_back_for_rollback(dry_run=dry_run, webhooks_out=path)
        except OSError as exc:  # the file could not be written: the transaction rolled back, nothing changed
            raise CommandError(
                f"--webhooks-out {webhooks_out}: cannot be written ({exc.strerror or exc}); nothing was changed"
            ) from exc
        write_summary(
            self,
            "rollback clean-up" + (" (dry run: nothing changed)" if dry_run else ""),
            [
                ("events handed back to the relay for their e-mail", events),
                (
                    "webhook deliveries exported",
                    f"{hooks}" + (f" -> {webhooks_out}" if hooks and not dry_run else ""),
                ),
            ],
        )
