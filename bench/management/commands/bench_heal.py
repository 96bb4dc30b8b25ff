"""manage.py bench_heal: how long a freed table takes to seat the party waiting in review, with a real worker."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from assignments import lifecycle
from assignments.conf import maitre_settings
from assignments.flags import PipelineMode, pipeline_mode
from assignments.management.base import MaitreCommand, positive_float, positive_int
from assignments.models import Booking, BookingState, Restaurant, Table, Zone
from assignments.services import heal
from assignments.services.allocations import allocations_create
from assignments.services.bookings import booking_create
from assignments.services.seating import booking_send_to_review


def _floor() -> Restaurant:
    """T1 (3-6 covers) and a joinable pair for 8, both taken at 19:00 tomorrow; a party of 6 waits in review."""
    tag = uuid.uuid4().hex[:8]
    r = Restaurant.objects.create(name=f"Heal bench {tag}", slug=f"heal-bench-{tag}", timezone="UTC")
    zone = Zone.objects.create(restaurant=r, key="main", name="Main", priority=1)
    Table.objects.create(restaurant=r, zone=zone, label="T1", min_covers=3, max_covers=6)
    Table.objects.create(restaurant=r, zone=zone, label="B1", min_covers=5, max_covers=8)
    return r


def _seated(r: Restaurant, label: str, party: int, start: datetime) -> Booking:
    booking = booking_create(restaurant=r, party_size=party, start_at=start)
    with transaction.atomic():
        lifecycle.booking_request_assignment(booking=booking)
        allocations_create(
            tables=[r.tables.get(label=label)],
            start_at=start,
            end_at=booking.end_at + timedelta(minutes=r.buffer_minutes),
            booking=booking,
        )
        lifecycle.booking_confirm(booking=booking, tables=[label], strategy="bench")
    return booking


def _in_review(r: Restaurant, party: int, start: datetime) -> Booking:
    booking = booking_create(restaurant=r, party_size=party, start_at=start)
    with transaction.atomic():
        lifecycle.booking_request_assignment(booking=booking)
        booking_send_to_review(booking=booking, reason="bench: no free plan", attempt_no=1)
    return booking


class Command(MaitreCommand):
    help = (
        "Start one `manage.py worker` process, then RUNS times: seat two parties, put a party of 6 in review, cancel "
        "the party on the table it fits, and time the commit of the cancellation to the party of 6 confirmed. "
        "Needs PostgreSQL + Redis and the engine mode. Prints the times and floor_heal's own cost in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--runs", type=positive_int, default=5, help="cancellations to time (default: %(default)s)"
        )
        parser.add_argument(
            "--timeout",
            type=positive_float,
            default=30.0,
            help="seconds to wait for each seat (default: %(default)s)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON object")

    def handle(self, *args, runs: int, timeout: float, as_json: bool = False, **opts):
        if not settings.IS_POSTGRES or not settings.REDIS_URL:
            raise CommandError(
                "bench_heal needs DATABASE_URL (PostgreSQL) and REDIS_URL: it runs a worker process"
            )
        if pipeline_mode() is not PipelineMode.ENGINE:
            raise CommandError(
                "the pipeline is not in engine mode (Waffle switches, docs/operations/rollout.md): the floor does not heal"
            )
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--threads", "2"],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        if "worker ready" not in (proc.stdout.readline() if proc.stdout else ""):
            os.killpg(proc.pid, signal.SIGKILL)
            raise CommandError("the worker did not start; run `manage.py worker` to see why")
        spent: list[float] = []
        real = heal.floor_heal

        def timed(**kwargs):
            started = time.perf_counter()
            try:
                return real(**kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        heal.floor_heal = timed
        seconds: list[float] = []
        tomorrow = (timezone.now() + timedelta(days=1)).replace(hour=19, minute=0, second=0, microsecond=0)
        try:
            for i in range(runs):
                r = _floor()
                five = _seated(r, "T1", 5, tomorrow)
                _seated(r, "B1", 8, tomorrow)
                six = _in_review(r, 6, tomorrow + timedelta(minutes=30))
                started = time.perf_counter()
                lifecycle.booking_cancel(booking=five, reason="bench")
                while (
                    Booking.objects.filter(pk=six.pk).values_list("state", flat=True).get()
                    != BookingState.CONFIRMED
                ):
                    if time.perf_counter() - started > timeout:
                        raise CommandError(
                            f"run {i + 1}: the party of 6 was not seated within {timeout:.0f} s"
                        )
                    time.sleep(0.01)
                seconds.append(time.perf_counter() - started)
                self.stderr.write(f"  .. run {i + 1}/{runs}: {seconds[-1]:.2f} s")
        finally:
            heal.floor_heal = real
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        result = {
            "runs": runs,
            "debounce_ms": maitre_settings.FLOOR_HEAL_DEBOUNCE_MS,
            "cancel_to_seated_s": [round(s, 3) for s in seconds],
            "median_s": round(statistics.median(seconds), 3),
            "max_s": round(max(seconds), 3),
            "floor_heal_ms": [round(s * 1000, 1) for s in spent],
        }
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"\nThe floor heals itself: cancellation committed -> party in review confirmed "
            f"({runs} runs, debounce {result['debounce_ms']} ms, 1 worker process)"
        )
        self.stdout.write(f"  {'median':<10}{result['median_s']:>8.2f} s")
        self.stdout.write(f"  {'max':<10}{result['max_s']:>8.2f} s")
        self.stdout.write(
            f"  floor_heal in the cancelling process: median "
            f"{statistics.median(spent) * 1000:.1f} ms over {len(spent)} call(s)"
        )
