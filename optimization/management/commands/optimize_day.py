from datetime import date, timedelta

from django.utils import timezone

from assignments.conf import maitre_settings
from assignments.lifecycle import Actor
from assignments.management.base import (
    MaitreCommand,
    day_from_option,
    moment_from_option,
    non_negative_float,
    non_negative_int,
    positive_float,
    restaurant_from_ref,
)
from assignments.management.progress import CommandProgress
from assignments.management.summary import write_summary
from assignments.models import Booking, BookingState, Restaurant
from optimization.day_optimizer import day_optimize


class Command(MaitreCommand):
    help = (
        "Re-plan a restaurant's service day (CP-SAT) and apply the new plan when it scores at least "
        "--min-improvement better, never moving bookings that start within --freeze-minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("restaurant", help="Restaurant slug (or id).")
        parser.add_argument("--date", help="Service day, YYYY-MM-DD (default: the service day of --now).")
        parser.add_argument("--dry-run", action="store_true", help="Compute and report; write nothing.")
        parser.add_argument(
            "--freeze-minutes",
            type=non_negative_int,
            default=None,
            help="Bookings starting within this many minutes of --now never move "
            f"(default: {maitre_settings.OPTIMIZATION_FREEZE_MINUTES}).",
        )
        parser.add_argument(
            "--min-improvement",
            type=non_negative_float,
            default=None,
            help="Apply only a plan whose score is at least this fraction better "
            f"(default: {maitre_settings.OPTIMIZATION_MIN_IMPROVEMENT}).",
        )
        parser.add_argument(
            "--time-limit", type=positive_float, default=10.0, help="Solver seconds (default 10)."
        )
        parser.add_argument(
            "--now",
            help="The clock for the freeze window, ISO 8601 (default: now); a naive "
            "time is read in the restaurant's time zone.",
        )
        parser.add_argument(
            "--no-optional",
            action="store_true",
            help="Only re-arrange confirmed bookings; do not seat bookings from review.",
        )

    def handle(self, *args, **opts):
        restaurant = restaurant_from_ref(opts["restaurant"])
        now = moment_from_option(opts["now"], "--now", restaurant.tzinfo) if opts["now"] else timezone.now()
        day = day_from_option(opts["date"], "--date") if opts["date"] else restaurant.service_day_of(now)
        if not self._has_bookings(restaurant, day):
            days = self._days_with_bookings(restaurant)
            hint = (
                f"; it has bookings on {', '.join(map(str, days))} (pass --date)"
                if days
                else "; it has no bookings"
            )
            self.stdout.write(
                f"Nothing to optimize: {restaurant.slug} has no booking on {day}"
                + ("" if opts["date"] else " (the service day of --now)")
                + hint
            )
            return
        self.stdout.write(
            f"Optimizing {restaurant.slug} {day} (now {now.astimezone(restaurant.tzinfo):%Y-%m-%d %H:%M %Z}, "
            f"time limit {opts['time_limit']:g}s{', dry run' if opts['dry_run'] else ''}) ..."
        )
        with CommandProgress(self) as progress:
            progress.phase(f"re-planning the day (solver limit {opts['time_limit']:g}s)")
            result = day_optimize(
                restaurant=restaurant,
                day=day,
                now=now,
                freeze_minutes=opts["freeze_minutes"],
                min_improvement=opts["min_improvement"],
                time_limit=opts["time_limit"],
                apply=not opts["dry_run"],
                include_optional=not opts["no_optional"],
                actor=Actor("command:optimize_day"),
            )
        improvement = "n/a" if result.improvement == float("inf") else f"{result.improvement:+.1%}"
        rows = [
            ("confirmed bookings", result.bookings),
            ("optional (review/pending)", result.optional),
            ("frozen", result.frozen),
            (
                "covers",
                f"{result.covers_before} -> {result.covers_after} (proven at most {result.covers_bound:.0f})",
            ),
            ("score", f"{result.score_before:.1f} -> {result.score_after:.1f}"),
            ("improvement", improvement),
            ("moved", result.moved),
            ("newly seated", result.newly_seated),
            ("solver", f"{result.solver_status} in {result.seconds:.2f}s"),
            ("applied", f"{'yes' if result.applied else 'no'} ({result.reason})"),
            ("total time", f"{result.total_seconds:.2f}s"),
        ]
        self._write_moves(restaurant, result)
        write_summary(self, "Summary", rows)
        if result.status == "aborted":
            self.stderr.write(self.style.WARNING(f"not applied: {result.reason}"))

    @staticmethod
    def _has_bookings(restaurant: Restaurant, day: date) -> bool:
        midnight = restaurant.local_midnight(day)
        live = Booking.objects.filter(restaurant=restaurant).exclude(state=BookingState.CANCELLED)
        starts = live.filter(start_at__gte=midnight, start_at__lt=midnight + timedelta(days=2)).values_list(
            "start_at", flat=True
        )
        return any(restaurant.service_day_of(s) == day for s in starts)

    @staticmethod
    def _days_with_bookings(restaurant: Restaurant, limit: int = 5) -> list[date]:
        live = Booking.objects.filter(restaurant=restaurant).exclude(state=BookingState.CANCELLED)
        days = sorted({restaurant.service_day_of(s) for s in live.values_list("start_at", flat=True)})
        return days[:limit]

    def _write_moves(self, restaurant: Restaurant, result) -> None:
        """The plan's changes, booking by booking: what a dry run would do, or what was done."""
        if not (result.moves or result.seated):
            return
        bookings = Booking.objects.in_bulk([*result.moves, *result.seated])
        would = result.status != "applied"
        rows = []
        for pk, (before, after) in sorted(result.moves.items(), key=lambda kv: bookings[kv[0]].start_at):
            rows.append((bookings[pk], "+".join(before), "+".join(after)))
        for pk, after in sorted(result.seated.items(), key=lambda kv: bookings[kv[0]].start_at):
            rows.append((bookings[pk], f"({bookings[pk].get_state_display()})", "+".join(after)))
        title = (
            f"{'Moves the plan would make' if would else 'Moves made'} ({len(result.moves)} moved, "
            f"{len(result.seated)} newly seated)"
        )
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        self.stdout.write(f"  {'booking':<14}{'party':>5}  {'start':<5}  {'from':<14}  to")
        for booking, before, after in rows:
            local = booking.start_at.astimezone(restaurant.tzinfo)
            ref = booking.external_ref or f"#{booking.pk}"
            self.stdout.write(f"  {ref:<14}{booking.party_size:>5}  {local:%H:%M}  {before:<14}  {after}")
