from assignments.management.base import MaitreCommand, batch_size
from assignments.services.backfill import history_backfill


class Command(MaitreCommand):
    help = "Give bookings that predate the audit trail one state-history row each (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=batch_size, default=500, help="Bookings written per transaction."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be backfilled, write nothing."
        )

    def handle(self, *args, batch_size, dry_run, **options):
        result = history_backfill(
            batch_size=batch_size,
            dry_run=dry_run,
            progress=lambda n: self.stderr.write(f"\r  backfilled {n}", ending=""),
        )
        if result["backfilled"]:
            self.stderr.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Backfill" + (" (dry run)" if dry_run else "")))
        self.stdout.write(f"  bookings without history  {result['candidates']}")
        self.stdout.write(f"  backfilled                {result['backfilled']}")
        for state, n in sorted(result["by_state"].items()):
            self.stdout.write(f"    {state:<22}  {n}")
