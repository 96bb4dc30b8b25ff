from datetime import date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assignments.lifecycle import Actor
from assignments.management.summary import write_summary
from assignments.models import Restaurant
from optimization.services import day_optimize


class Command(BaseCommand):
    help = (
        "Re-plan a restaurant's service day (CP-SAT) and apply the new plan when it scores at least "
        "--min-improvement better, never moving bookings that start within --freeze-minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("restaurant", help="Restaurant slug (or id).")
        parser.add_argument("--date", help="Service day, YYYY-MM-DD (default: the service day of --now).")
        parser.add_argument("--dry-run", action="store_true", help="Compute and report; write nothing.")
        parser.add_argument("--freeze-minutes", type=int, default=None,
                            help=f"Default {settings.MAITRE['OPTIMIZATION_FREEZE_MINUTES']}.")
        parser.add_argument("--min-improvement", type=float, default=None,
                            help=f"Default {settings.MAITRE['OPTIMIZATION_MIN_IMPROVEMENT']}.")
        parser.add_argument("--time-limit", type=float, default=10.0, help="Solver seconds (default 10).")
        parser.add_argument("--now", help="The clock for the freeze window, ISO 8601 (default: now); a naive "
                                          "time is read in the restaurant's time zone.")
        parser.add_argument("--no-optional", action="store_true",
                            help="Only re-arrange confirmed bookings; do not seat bookings from review.")

    def handle(self, *args, **opts):
        ref = opts["restaurant"]
        restaurant = Restaurant.objects.filter(slug=ref).first()
        if restaurant is None and ref.isdigit():
            restaurant = Restaurant.objects.filter(pk=int(ref)).first()
        if restaurant is None:
            raise CommandError(f"no restaurant {ref!r}")
        now = timezone.now()
        if opts["now"]:
            try:
                now = datetime.fromisoformat(opts["now"])
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from exc
            if now.tzinfo is None:
                now = now.replace(tzinfo=restaurant.tzinfo)
        try:
            day = date.fromisoformat(opts["date"]) if opts["date"] else restaurant.service_day_of(now)
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        self.stdout.write(
            f"Optimizing {restaurant.slug} {day} (now {now.astimezone(restaurant.tzinfo):%Y-%m-%d %H:%M %Z}, "
            f"time limit {opts['time_limit']:g}s{', dry run' if opts['dry_run'] else ''}) ..."
        )
        result = day_optimize(
            restaurant=restaurant, day=day, now=now, freeze_minutes=opts["freeze_minutes"],
            min_improvement=opts["min_improvement"], time_limit=opts["time_limit"], apply=not opts["dry_run"],
            include_optional=not opts["no_optional"], actor=Actor("command:optimize_day"),
        )
        improvement = "n/a" if result.improvement == float("inf") else f"{result.improvement:+.1%}"
        rows = [
            ("confirmed bookings", result.bookings),
            ("optional (review/pending)", result.optional),
            ("frozen", result.frozen),
            ("covers", f"{result.covers_before} -> {result.covers_after} (proven at most {result.covers_bound:.0f})"),
            ("score", f"{result.score_before:.1f} -> {result.score_after:.1f}"),
            ("improvement", improvement),
            ("moved", result.moved),
            ("newly seated", result.newly_seated),
            ("solver", f"{result.solver_status} in {result.seconds:.2f}s"),
            ("applied", f"{'yes' if result.applied else 'no'} ({result.reason})"),
            ("total time", f"{result.total_seconds:.2f}s"),
        ]
        write_summary(self, "Summary", rows)
        if result.status == "aborted":
            self.stderr.write(self.style.WARNING(f"not applied: {result.reason}"))
