from assignments.management.base import MaitreCommand, batch_size
from assignments.models import Restaurant
from assignments.services.no_shows import no_shows_mark_due


class Command(MaitreCommand):
    help = (
        "Mark confirmed bookings not seated by their start plus the restaurant's grace period as no-shows, "
        "once (the scheduler does it every minute)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=batch_size, default=200, help="Bookings per restaurant per run."
        )

    def handle(self, *args, batch_size, **options):
        results = no_shows_mark_due(batch_size=batch_size)
        names = dict(
            Restaurant.objects.filter(pk__in=[r.restaurant_id for r in results]).values_list("pk", "slug")
        )
        self.stdout.write(f"{'restaurant':30} {'no-shows':>9} {'skipped':>8}")
        for r in results:
            self.stdout.write(
                f"{names.get(r.restaurant_id, r.restaurant_id)!s:30} {len(r.marked):>9} {r.skipped:>8}"
            )
        total = sum(len(r.marked) for r in results)
        self.stdout.write(f"marked {total} no-show(s) in {len(results)} restaurant(s)")
