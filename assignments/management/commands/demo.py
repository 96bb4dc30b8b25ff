import time

from django.core.management.base import BaseCommand, CommandError

from assignments.embedded import start_inprocess_worker, stop_inprocess_worker
from assignments.management.summary import write_summary
from assignments.models import Booking, BookingAssignmentAttempt, BookingState
from assignments.reports import pipeline_summary
from assignments.scenario import ScenarioError, load_scenario
from assignments.services.outbox import outbox_relay
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.scenarios import scenario_import


class Command(BaseCommand):
    help = "Import a scenario and run its whole day through the assignment pipeline, then summarise."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default="scenarios/sample-medium.json")
        parser.add_argument("--timeout", type=float, default=300.0, help="Seconds to wait for the pipeline.")

    def handle(self, *args, file, timeout, **options):
        try:
            scenario = load_scenario(file)
        except (ScenarioError, FileNotFoundError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        restaurant = scenario_import(scenario=scenario, replace=True)
        self.stdout.write(f"Imported {restaurant.slug}: {len(scenario.tables)} tables, {len(scenario.bookings)} bookings")
        start_inprocess_worker(threads=1)
        started = time.monotonic()
        bookings = list(Booking.objects.filter(restaurant=restaurant).order_by("arrival", "id"))
        tty = self.stdout.isatty()
        try:
            # The day as it happens: each request is submitted once the previous one has had its first
            # decision, in arrival order (retries of the ones that did not fit run in the background).
            for i, booking in enumerate(bookings, 1):
                booking_submit_for_assignment(booking=booking, trigger="creation")
                self._wait(lambda b=booking: BookingAssignmentAttempt.objects.filter(booking=b).exists(), timeout, started)
                if tty or i % 25 == 0 or i == len(bookings):
                    prefix = "\r" if tty else ""
                    self.stdout.write(f"{prefix}  submitted {i}/{len(bookings)}", ending="" if tty else "\n")
            if tty:
                self.stdout.write("")
            self.stdout.write("  waiting for retries of the bookings that did not fit ...")
            self._wait(
                lambda: not Booking.objects.filter(restaurant=restaurant, state=BookingState.ASSIGNMENT_PENDING).exists(),
                timeout, started,
            )
        finally:
            stop_inprocess_worker()
        outbox_relay()
        s = pipeline_summary(restaurant=restaurant)
        rows = [
            ("bookings", s["bookings"]),
            ("confirmed", s["by_state"]["confirmed"]),
            ("manual review", s["by_state"]["manual_review"]),
            ("covers seated", f"{s['covers_seated']} / {s['covers_requested']} ({s['seated_ratio']:.1%})"),
            ("booking→confirmed p50", f"{s['p50_ms']:.1f} ms"),
            ("booking→confirmed p99", f"{s['p99_ms']:.1f} ms"),
            ("wall time", f"{time.monotonic() - started:.1f} s"),
        ]
        write_summary(self, "Summary", rows)
        write_summary(self, "Wins per strategy", s["wins_per_strategy"].items())

    @staticmethod
    def _wait(done, timeout: float, started: float) -> None:
        while not done():
            if time.monotonic() - started > timeout:
                raise CommandError(f"the pipeline did not finish within {timeout}s")
            time.sleep(0.002)
