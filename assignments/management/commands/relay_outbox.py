import time

from assignments.management.base import MaitreCommand, batch_size, interval_seconds
from assignments.services.outbox import outbox_relay


class Command(MaitreCommand):
    help = "Publish unpublished outbox events to Redis streams (once, or continuously with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep relaying until interrupted.")
        parser.add_argument(
            "--interval", type=interval_seconds, default=0.2, help="Seconds between polls when idle."
        )
        parser.add_argument("--batch-size", type=batch_size, default=500, help="Events sent per batch.")

    def handle(self, *args, loop, interval, batch_size, **options):
        total = 0
        try:
            while True:
                n = outbox_relay(batch_size=batch_size)
                total += n
                if not loop and n < batch_size:
                    break
                if n == 0:
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"published {total} event(s)")
