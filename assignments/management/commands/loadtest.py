import json as jsonlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections

from assignments import flags
from assignments.management.base import (
    MaitreCommand,
    non_negative_int,
    positive_float,
    positive_int,
    scenario_from_file,
)
from assignments.management.progress import CommandProgress
from assignments.management.summary import write_summary
from assignments.models import Booking, BookingState
from assignments.services.bookings import booking_create
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.scenarios import scenario_import
from assignments.stats import percentile

OVERLAPS_SQL = """
SELECT count(*) FROM assignments_tableallocation a
JOIN assignments_tableallocation b
  ON a.table_id = b.table_id AND a.id < b.id
 AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
WHERE a.restaurant_id = ANY(%s)
"""

# Every booking's first decision (confirmed, or a first "no plan" that schedules a retry or sends it to review).
FIRST_DECISION_SQL = """
SELECT max(first) FROM (
  SELECT min(a.created_at) AS first FROM booking_assignment_attempts a
  JOIN assignments_booking b ON b.id = a.booking_id
  WHERE b.restaurant_id = ANY(%s) GROUP BY a.booking_id
) t
"""

LATENCY_SQL = """
SELECT EXTRACT(EPOCH FROM (c.created_at - r.created_at)) * 1000
FROM booking_state_history r
JOIN booking_state_history c ON c.booking_id = r.booking_id AND c.to_state = 'confirmed'
JOIN assignments_booking b ON b.id = r.booking_id
WHERE r.to_state = 'assignment_pending' AND b.restaurant_id = ANY(%s)
"""


class Command(MaitreCommand):
    help = (
        "Load test on PostgreSQL + Redis: import a scenario (optionally as several restaurants), create all its "
        "bookings concurrently through the service, let K rundramatiq worker processes seat them, and report "
        "throughput, booking-to-confirmed latency, outcomes and an SQL overlap check. `seconds` runs until every "
        "booking had its first decision (throughput_per_s = bookings / seconds); `drain_seconds` until none is "
        "left in assignment_pending, which includes the retry backoff of bookings the floor cannot take."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="scenario/v1 JSON file whose bookings are created")
        parser.add_argument("--workers", type=positive_int, default=2, help="rundramatiq worker processes.")
        parser.add_argument("--threads", type=positive_int, default=4, help="Threads per worker process.")
        parser.add_argument("--concurrency", type=positive_int, default=8, help="Threads creating bookings.")
        parser.add_argument("--rate", type=positive_float, default=None,
                            help="Bookings per second (default: all at once).")
        parser.add_argument("--copies", type=positive_int, default=1, help="Import the scenario as this many restaurants.")
        parser.add_argument("--timeout", type=positive_float, default=300.0,
                            help="Seconds to wait for every booking's decision.")
        parser.add_argument("--warmup", type=non_negative_int, default=40,
                            help="Bookings sent through the workers (on a separate restaurant) before timing starts.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of the summary.")

    def handle(self, *args, file, workers, threads, concurrency, rate, copies, timeout, warmup, json: bool, **options):
        if not settings.IS_POSTGRES or not settings.REDIS_URL:
            raise CommandError("loadtest needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
        scenario = scenario_from_file(file)
        with CommandProgress(self, json=json) as progress:
            result = self._run(scenario, workers, threads, concurrency, rate, copies, timeout, warmup, progress)
        if json:
            self.stdout.write(jsonlib.dumps(result))
            return
        write_summary(self, "Load test", result.items())

    def _run(self, scenario, workers, threads, concurrency, rate, copies, timeout, warmup, progress) -> dict:
        say = progress.phase

        restaurants = [
            scenario_import(scenario=scenario, replace=True, slug=f"loadtest-{i}") for i in range(copies)
        ]
        restaurant_ids = [r.pk for r in restaurants]
        # The import creates bookings; the load test creates them itself through the service.
        Booking.objects.filter(restaurant_id__in=restaurant_ids).delete()
        flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
        self._flush_queues()

        say(f"starting {workers} worker process(es) x {threads} threads")
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", str(workers), "--threads", str(threads),
             "--queues", "assignments", "assignments-retry", "--skip-logging"],
            cwd=settings.BASE_DIR, env={**os.environ, "LOG_LEVEL": "ERROR", "MAITRE_LOG_LEVEL": "WARNING",
                 # idle consumers poll Redis at most every 100 ms (dramatiq's default backs off to 1 s)
                 "dramatiq_worker_timeout": os.environ.get("dramatiq_worker_timeout", "100")},  # noqa: SIM112 (dramatiq's name)
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            time.sleep(4.0)  # workers boot (imports, broker connection)
            if proc.poll() is not None:
                raise CommandError("the workers exited at start; run `manage.py rundramatiq` to see why")
            if warmup:
                warm = scenario_import(scenario=scenario, replace=True, slug="loadtest-warmup")
                Booking.objects.filter(restaurant=warm).delete()
                say(f"warming up the workers with {warmup} bookings")
                self._create_all(scenario, [(warm, b) for b in scenario.bookings_by_arrival()[:warmup]], concurrency, None)
                self._wait([warm.pk], time.monotonic(), timeout, progress)
            requests = [
                (r, b) for b in scenario.bookings_by_arrival() for r in restaurants
            ]
            progress.phase(f"creating {len(requests)} bookings ({'all at once' if not rate else f'{rate:g}/s'})",
                           total=len(requests))
            started = time.monotonic()
            wall_started = time.time()
            self._create_all(scenario, requests, concurrency, rate, progress)
            created_s = time.monotonic() - started
            progress.phase("waiting for every booking's decision", total=len(requests))
            decided_s = self._wait(restaurant_ids, started, timeout, progress)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

        with connection.cursor() as cur:
            cur.execute(FIRST_DECISION_SQL, [restaurant_ids])
            last_first_decision = cur.fetchone()[0]
            cur.execute(OVERLAPS_SQL, [restaurant_ids])
            overlaps = cur.fetchone()[0]
            cur.execute(LATENCY_SQL, [restaurant_ids])
            latencies = [float(row[0]) for row in cur.fetchall()]
        first_s = (last_first_decision.timestamp() - wall_started) if last_first_decision else decided_s
        states = Booking.objects.filter(restaurant_id__in=restaurant_ids)
        count = lambda s: states.filter(state=s).count()  # noqa: E731
        total = states.count()
        result = {
            "scenario": scenario.name,
            "copies": copies,
            "workers": workers,
            "threads": threads,
            "rate": rate,
            "bookings": total,
            "seconds": round(first_s, 3),
            "create_seconds": round(created_s, 3),
            "throughput_per_s": round(total / first_s, 1) if first_s else 0.0,
            "drain_seconds": round(decided_s, 3),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "confirmed": count(BookingState.CONFIRMED),
            "manual_review": count(BookingState.MANUAL_REVIEW),
            "stuck": count(BookingState.ASSIGNMENT_PENDING),
            "overlaps": overlaps,
        }
        return result

    def _flush_queues(self) -> None:
        import dramatiq

        broker = dramatiq.get_broker()
        import assignments.tasks  # noqa: F401

        for queue in list(broker.get_declared_queues()):
            broker.flush(queue)

    def _create_all(self, scenario, requests, concurrency, rate, progress=None) -> None:
        errors: list[BaseException] = []
        done = [0]
        opened = set()  # each creating thread's database connection, closed once the pool is done

        def create(item):
            r, b = item
            opened.add(connections["default"])
            try:
                booking = booking_create(
                    restaurant=r, party_size=b.party_size, start_at=scenario.local_datetime(b.start_minute),
                    duration_minutes=b.duration_minutes if b.explicit_duration else None,
                    external_ref=b.id, arrival=b.arrival,
                    preferred_zone=r.zones.get(key=b.preferred_zone) if b.preferred_zone else None,
                    needs_accessible=b.accessible,
                )
                booking_submit_for_assignment(booking=booking, trigger="creation")
            except BaseException as exc:  # reported after the run
                errors.append(exc)
            done[0] += 1
            if progress is not None:
                progress.update(done[0])

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="loadtest") as pool:
            if rate:
                t0 = time.monotonic()
                futures = []
                for i, item in enumerate(requests):
                    delay = t0 + i / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    futures.append(pool.submit(create, item))
                for f in futures:
                    f.result()
            else:
                list(pool.map(create, requests))
        connections.close_all()
        for conn in opened:
            conn.inc_thread_sharing()  # its thread has ended; close it from here
            conn.close()
        if errors:
            raise CommandError(f"{len(errors)} bookings could not be created; first: {errors[0]!r}")

    def _wait(self, restaurant_ids, started, timeout, progress) -> float:
        bookings = Booking.objects.filter(restaurant_id__in=restaurant_ids)
        while True:
            pending = bookings.filter(state=BookingState.ASSIGNMENT_PENDING).count()
            progress.update(bookings.count() - pending)
            elapsed = time.monotonic() - started
            if pending == 0:
                return elapsed
            if elapsed > timeout:
                progress.note(f"timeout: {pending} still pending")
                self.stderr.write(f"timeout after {timeout:g}s: {pending} bookings still pending")
                return elapsed
            time.sleep(0.05)



