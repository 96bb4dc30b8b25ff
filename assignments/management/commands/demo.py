"""manage.py demo: a scenario's day, moved to tonight, through the whole pipeline; then where to look."""

import sys
import time

from django.core.management.base import CommandError
from django.urls import reverse
from django.utils.text import slugify

from assignments.embedded import start_inprocess_worker, stop_inprocess_worker
from assignments.management.base import MaitreCommand, positive_float, scenario_from_file
from assignments.management.progress import CommandProgress
from assignments.management.summary import write_summary
from assignments.models import Booking, BookingAssignmentAttempt, BookingState, Restaurant
from assignments.reports import pipeline_summary
from assignments.scenario import ScenarioError
from assignments.services.outbox import outbox_relay
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.scenarios import (
    restaurant_bookings_not_imported,
    scenario_import,
    scenario_tonight,
)
from assignments.services.staff import staff_user_ensure

EXISTING_CHOICES = ("ask", "keep", "replace")


class Command(MaitreCommand):
    help = (
        "Import a scenario onto tonight's date, run its whole day through the assignment pipeline, summarise, "
        "and print the ops console's links with a staff login."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default="scenarios/sample-medium.json", help="scenario/v1 JSON file to play"
        )
        parser.add_argument(
            "--keep-date",
            action="store_true",
            help="keep the file's date instead of moving the day to tonight (restaurant's time zone)",
        )
        parser.add_argument(
            "--existing",
            choices=EXISTING_CHOICES,
            default="ask",
            help="when the restaurant exists with bookings the scenario did not create (API, admin): ask, keep "
            "them (replace only the scenario's bookings) or replace everything; 'ask' keeps them when "
            "there is no terminal to ask on",
        )
        parser.add_argument(
            "--timeout", type=positive_float, default=300.0, help="seconds to wait for the pipeline"
        )
        parser.add_argument("--user", default="demo", help="staff user to create for the ops console")
        parser.add_argument(
            "--host", default="127.0.0.1", help="host in the printed links (as for `make run`)"
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="port in the printed links (as for `make run`)"
        )

    def handle(self, *args, file, keep_date, existing, timeout, user, host, port, **options):
        if not 1 <= port <= 65535:
            raise CommandError(f"--port: must be between 1 and 65535, got {port}")
        scenario = scenario_from_file(file)
        day = scenario.restaurant.date if keep_date else scenario_tonight(scenario=scenario)
        keep = self._keep_other_bookings(scenario.name, existing)
        try:
            # Kept, the restaurant keeps its id (and the links printed last time) when its floor is the file's.
            restaurant = scenario_import(
                scenario=scenario, replace=True, day=day, keep_other_bookings=keep is not False
            )
        except ScenarioError as exc:
            if keep is not None:
                raise CommandError(
                    f"{file}: {exc.field}: {exc.reason} (use --existing replace to start afresh)"
                ) from exc
            restaurant = scenario_import(scenario=scenario, replace=True, day=day)
        kept = restaurant_bookings_not_imported(restaurant=restaurant)
        self.stdout.write(
            f"Imported {restaurant.slug}: {len(scenario.tables)} tables, {len(scenario.bookings)} bookings on "
            f"{day:%A %d %B %Y}"
            + ("" if keep_date else " (tonight)")
            + (f"; kept {kept.count()} bookings made outside the scenario" if keep and kept.exists() else "")
        )
        started = time.monotonic()
        bookings = list(
            Booking.objects.filter(restaurant=restaurant)
            .exclude(pk__in=kept.values("pk"))
            .order_by("arrival", "id")
        )
        ids = [b.pk for b in bookings]
        start_inprocess_worker(threads=1)
        try:
            with CommandProgress(self) as progress:
                # The day as it happens: each request is submitted once the previous one has had its first
                # decision, in arrival order (retries of the ones that did not fit run in the background).
                progress.phase("submitting bookings in arrival order", total=len(bookings))
                for i, booking in enumerate(bookings, 1):
                    booking_submit_for_assignment(booking=booking, trigger="creation")
                    self._wait(
                        lambda b=booking: BookingAssignmentAttempt.objects.filter(booking=b).exists(),
                        timeout,
                        started,
                    )
                    progress.update(i)
                pending = Booking.objects.filter(pk__in=ids, state=BookingState.ASSIGNMENT_PENDING)
                first = pending.count()
                progress.phase("retries of the bookings that did not fit", total=first)
                while True:
                    left = pending.count()
                    progress.update(first - left)
                    if not left:
                        break
                    self._check_time(timeout, started)
                    time.sleep(0.01)
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
        self._open_the_console(restaurant=restaurant, day=day, username=user, base=f"http://{host}:{port}")

    def _keep_other_bookings(self, name: str, existing: str) -> bool | None:
        """Whether to keep the bookings no import created (asks on a terminal when there are some); None when
        there are none to keep, so the restaurant is kept if it can be and replaced otherwise."""
        restaurant = Restaurant.objects.filter(slug=slugify(name)).first()
        if restaurant is None or existing == "replace":
            return False
        others = restaurant_bookings_not_imported(restaurant=restaurant).count()
        if not others:
            return None
        if existing == "keep":
            return True
        if not sys.stdin.isatty():
            self.stderr.write(
                f"{restaurant.slug} has {others} bookings the scenario did not create: keeping them "
                "(--existing replace deletes them)."
            )
            return True
        while True:
            self.stdout.write(
                f"{restaurant.slug} has {others} bookings the scenario did not create (made through the API or "
                "the admin). Keep them [K], replace everything [r], or stop [s]? ",
                ending="",
            )
            self.stdout.flush()
            answer = (sys.stdin.readline() or "s").strip().lower()
            if answer in ("", "k", "keep"):
                return True
            if answer in ("r", "replace"):
                return False
            if answer in ("s", "stop", "q"):
                raise CommandError("stopped; nothing was changed")

    def _open_the_console(self, *, restaurant: Restaurant, day, username: str, base: str) -> None:
        user, password = staff_user_ensure(username=username, restaurant=restaurant)
        queue = (
            reverse("admin:assignments_reviewbooking_changelist") + f"?restaurant__id__exact={restaurant.pk}"
        )
        timeline = (
            reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
            + f"?date={day.isoformat()}"
        )
        rows = [
            ("admin", base + reverse("admin:index")),
            ("review queue", base + queue),
            ("tonight's timeline", base + timeline),
            ("API docs", base + reverse("api-docs")),
        ]
        if password:
            rows.append(("login", f"{username} / {password}  (shown once; change it in the admin)"))
        else:
            rows.append(("login", f"{username} (exists already; password unchanged)"))
            if not (user.is_active and user.is_staff):
                rows.append(("note", f"{username} is not an active staff user: log in with another one"))
        write_summary(self, "Open the ops console (start the web app first: make run)", rows)

    def _wait(self, done, timeout: float, started: float) -> None:
        while not done():
            self._check_time(timeout, started)
            time.sleep(0.002)

    @staticmethod
    def _check_time(timeout: float, started: float) -> None:
        if time.monotonic() - started > timeout:
            raise CommandError(f"the pipeline did not finish within {timeout:g}s (raise --timeout)")
