from assignments.management.base import MaitreCommand
from assignments.services.holds import holds_sweep_expired


class Command(MaitreCommand):
    help = "Delete expired holds and their table allocations (what the periodic sweep actor does)."

    def handle(self, *args, **options):
        removed = holds_sweep_expired()
        self.stdout.write(f"expired holds removed: {removed}")
