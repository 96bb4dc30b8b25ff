"""End-to-end load test on PostgreSQL + Redis with the Procfile's worker processes, measured against a
bare-SQL ceiling of the same write path run in the same invocation."""

import json as jsonlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from assignments import flags
from assignments.management.base import (
    MaitreCommand,
    non_negative_float,
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
from bench.benchmarking import replay_engine

OVERLAPS_SQL = """
SELECT count(*) FROM assignments_tableallocation a
JOIN assignments_tableallocation b
  ON a.table_id = b.table_id AND a.id < b.id
 AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
WHERE a.restaurant_id = ANY(%s)
"""

# When each booking had its first decision (confirmed, review, or a first "no plan" that made it due later).
FIRST_DECISION_SQL = """
SELECT max(first) FROM (
  SELECT min(a.created_at) AS first FROM booking_assignment_attempts a
  JOIN assignments_booking b ON b.id = a.booking_id
  WHERE b.restaurant_id = ANY(%s) GROUP BY a.booking_id
) t
"""

# Booking-to-confirmed: from the request's history row (steady rate) to the confirmation's history row.
LATENCY_SQL = """
SELECT EXTRACT(EPOCH FROM (c.created_at - r.created_at)) * 1000
FROM booking_state_history r
JOIN booking_state_history c ON c.booking_id = r.booking_id AND c.to_state = 'confirmed'
JOIN assignments_booking b ON b.id = r.booking_id
WHERE r.to_state = 'assignment_pending' AND b.restaurant_id = ANY(%s)
"""

# In a burst every booking was requested in one long transaction: the clock starts at its commit.
BURST_LATENCY_SQL = """
SELECT EXTRACT(EPOCH FROM (c.created_at - to_timestamp(%s))) * 1000
FROM booking_state_history c JOIN assignments_booking b ON b.id = c.booking_id
WHERE c.to_state = 'confirmed' AND b.restaurant_id = ANY(%s)
"""

# When the last booking reached its final state (confirmed or manual review), retries and re-seats included.
FINAL_SQL = """
SELECT max(h.created_at) FROM booking_state_history h JOIN assignments_booking b ON b.id = h.booking_id
WHERE b.restaurant_id = ANY(%s) AND h.to_state IN ('confirmed', 'manual_review')
"""

COVERS_SQL = "SELECT coalesce(sum(party_size), 0) FROM assignments_booking WHERE restaurant_id = ANY(%s) AND state = 'confirmed'"

# The pipeline's write path for one booking as bare SQL, on a stand-in of its tables: claim a due booking
# (SKIP LOCKED), read its restaurant's overlapping allocations, allocate a table under the same GiST
# exclusion constraint, version-checked state change, history, attempt and outbox rows, commit.
CEILING_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE dining_table (id serial PRIMARY KEY, restaurant int NOT NULL, seats int NOT NULL);
CREATE TABLE booking (
  id bigserial PRIMARY KEY, restaurant int NOT NULL, party int NOT NULL, during tstzrange NOT NULL,
  state text NOT NULL, version int NOT NULL DEFAULT 2, due_at timestamptz);
CREATE INDEX booking_due ON booking (due_at) WHERE state = 'assignment_pending';
CREATE TABLE allocation (
  id bigserial PRIMARY KEY, table_id int NOT NULL REFERENCES dining_table, booking_id bigint REFERENCES booking,
  restaurant int NOT NULL, during tstzrange NOT NULL, EXCLUDE USING gist (table_id WITH =, during WITH &&));
CREATE INDEX allocation_restaurant ON allocation USING gist (restaurant, during);
CREATE TABLE history (id bigserial PRIMARY KEY, booking_id bigint NOT NULL, from_state text, to_state text,
  version int, metadata jsonb, created_at timestamptz DEFAULT now());
CREATE TABLE attempt (id bigserial PRIMARY KEY, booking_id bigint NOT NULL, attempt_no int, strategy text,
  result text, metadata jsonb, created_at timestamptz DEFAULT now());
CREATE TABLE outbox (id bigserial PRIMARY KEY, aggregate_id text, event_type text, payload jsonb,
  created_at timestamptz DEFAULT now());
INSERT INTO dining_table (restaurant, seats) SELECT r, 4 FROM generate_series(1, 500) r, generate_series(1, 40) t;
INSERT INTO booking (restaurant, party, during, state, due_at)
  SELECT 1 + i % 500, 2,
         tstzrange(timestamptz '2026-12-05 12:00+00' + (i / 500) * interval '4 minutes',
                   timestamptz '2026-12-05 13:45+00' + (i / 500) * interval '4 minutes'),
         'assignment_pending', now() - interval '1 minute'
  FROM generate_series(0, 199999) i;
ANALYZE;
"""

CEILING_TXN = """
BEGIN;
SELECT id, restaurant, party, version, extract(epoch FROM lower(during))::bigint AS lo,
       extract(epoch FROM upper(during))::bigint AS hi FROM booking
  WHERE state = 'assignment_pending' AND due_at <= now() ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED \\gset b_
SELECT table_id, during FROM allocation
  WHERE restaurant = :b_restaurant AND during && tstzrange(to_timestamp(:b_lo), to_timestamp(:b_hi));
INSERT INTO allocation (table_id, booking_id, restaurant, during)
  SELECT (:b_restaurant - 1) * 40 + 1 + (:b_id / 500) % 40, :b_id, :b_restaurant,
         tstzrange(to_timestamp(:b_lo), to_timestamp(:b_hi))
  ON CONFLICT DO NOTHING;
UPDATE booking SET state = 'confirmed', version = version + 1, due_at = NULL WHERE id = :b_id AND version = :b_version;
INSERT INTO history (booking_id, from_state, to_state, version, metadata)
  VALUES (:b_id, 'assignment_pending', 'confirmed', :b_version + 1, '{"tables": ["T1"], "strategy": "best_fit"}');
INSERT INTO attempt (booking_id, attempt_no, strategy, result, metadata)
  VALUES (:b_id, 1, 'best_fit', 'success', '{"tables": ["T1"], "score": 1.5}');
INSERT INTO outbox (aggregate_id, event_type, payload)
  VALUES (:b_id::text, 'booking.confirmed', '{"tables": ["T1"], "version": 3}');
COMMIT;
"""


class Command(MaitreCommand):
    help = (
        "Load test on PostgreSQL + Redis. Imports a scenario (optionally as several restaurants), starts K "
        "`manage.py worker` processes (the Procfile's worker), then either submits every booking at once (a "
        "burst: the day's bookings are created first, then made due in one commit) or creates and submits them "
        "at --rate per second. Reports throughput (bookings / seconds from the burst's commit to the last first "
        "decision), booking-to-confirmed latency, overlaps, stuck and lost bookings, covers against the engine "
        "replay, and the bare-SQL ceiling of the same write path (pgbench, 2 clients) measured in the same run."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A scenario/v1 file.")
        parser.add_argument(
            "--workers", type=positive_int, default=2, help="Worker processes (default: %(default)s)."
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=2,
            help="Consumer threads per worker (default: %(default)s).",
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            default=4,
            help="Threads creating bookings (default: %(default)s).",
        )
        parser.add_argument(
            "--rate", type=positive_float, default=None, help="Bookings per second (default: a burst)."
        )
        parser.add_argument(
            "--copies",
            type=positive_int,
            default=1,
            help="Restaurants to import the scenario as (default: 1).",
        )
        parser.add_argument(
            "--timeout", type=positive_float, default=300.0, help="Seconds to wait (default: %(default)s)."
        )
        parser.add_argument(
            "--warmup", type=non_negative_int, default=40, help="Warm-up bookings (default: %(default)s)."
        )
        parser.add_argument(
            "--ceiling-seconds",
            type=non_negative_float,
            default=8.0,
            help="pgbench run of the bare-SQL write path; 0 skips it (default: %(default)s).",
        )
        parser.add_argument(
            "--ceiling-dir",
            default=None,
            help="A folder with schema.sql and txn.sql for the ceiling (default: ../shared/pglimit "
            "beside the project when it exists, else the built-in write path).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, json: bool, **options):
        with CommandProgress(self, json=json) as progress:
            self._progress = progress
            self._handle(*args, json=json, **options)

    def _handle(
        self,
        *args,
        file,
        workers,
        threads,
        concurrency,
        rate,
        copies,
        timeout,
        warmup,
        ceiling_seconds,
        ceiling_dir,
        json: bool,
        **options,
    ):
        if not settings.IS_POSTGRES or not settings.REDIS_URL:
            raise CommandError("loadtest needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
        scenario = scenario_from_file(file)
        say = self._progress.phase

        schema, txn, source = self._ceiling_scripts(ceiling_dir)
        ceiling = self._ceiling(ceiling_seconds, schema, txn, say) if ceiling_seconds > 0 else None
        restaurants = [
            scenario_import(scenario=scenario, replace=True, slug=f"loadtest-{i}") for i in range(copies)
        ]
        restaurant_ids = [r.pk for r in restaurants]
        Booking.objects.filter(restaurant_id__in=restaurant_ids).delete()  # the test creates them itself
        flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
        self._flush_queues()
        requests = [(r, b) for b in scenario.bookings_by_arrival() for r in restaurants]

        say(f"starting {workers} worker process(es) x {threads} threads")
        procs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--threads", str(threads)],
                cwd=settings.BASE_DIR,
                env={**os.environ, "LOG_LEVEL": "ERROR", "MAITRE_LOG_LEVEL": "WARNING"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(workers)
        ]
        try:
            time.sleep(3.0)  # imports, broker connection
            if any(p.poll() is not None for p in procs):
                raise CommandError("a worker exited at start; run `manage.py worker` to see why")
            if warmup:
                warm = scenario_import(scenario=scenario, replace=True, slug="loadtest-warmup")
                Booking.objects.filter(restaurant=warm).delete()
                say(f"warming up the workers with {warmup} bookings")
                self._create(
                    scenario,
                    [(warm, b) for b in scenario.bookings_by_arrival()[:warmup]],
                    concurrency,
                    None,
                    submit=True,
                )
                self._wait([warm.pk], time.monotonic(), timeout)
            if rate:
                say(f"creating and submitting {len(requests)} bookings at {rate}/s")
                wall_started = time.time()
                started = time.monotonic()
                self._create(scenario, requests, concurrency, rate, submit=True)
            else:
                say(f"creating {len(requests)} bookings, then submitting them all in one commit")
                self._create(scenario, requests, concurrency, None, submit=False)
                wall_started, started = self._submit_all(restaurant_ids)
            say("waiting for every booking's decision", len(requests))
            drain_s = self._wait(restaurant_ids, started, timeout)
            self._progress.finish()
        finally:
            for p in procs:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)

        with connection.cursor() as cur:
            cur.execute(FIRST_DECISION_SQL, [restaurant_ids])
            last_first_decision = cur.fetchone()[0]
            cur.execute(OVERLAPS_SQL, [restaurant_ids])
            overlaps = cur.fetchone()[0]
            if rate:
                cur.execute(LATENCY_SQL, [restaurant_ids])
            else:
                cur.execute(BURST_LATENCY_SQL, [wall_started, restaurant_ids])
            latencies = [float(row[0]) for row in cur.fetchall()]
            cur.execute(FINAL_SQL, [restaurant_ids])
            last_final = cur.fetchone()[0]
            cur.execute(COVERS_SQL, [restaurant_ids])
            covers = int(cur.fetchone()[0])
        seconds = (last_first_decision.timestamp() - wall_started) if last_first_decision else drain_s
        states = Booking.objects.filter(restaurant_id__in=restaurant_ids)
        count = lambda s: states.filter(state=s).count()  # noqa: E731
        total = states.count()
        throughput = round(total / seconds, 1) if seconds > 0 else 0.0
        replay_covers = replay_engine(scenario).covers_seated * copies
        result = {
            "scenario": scenario.name,
            "mode": f"rate {rate}/s" if rate else "burst",
            "copies": copies,
            "workers": workers,
            "threads": threads,
            "bookings": total,
            "seconds": round(seconds, 3),
            "throughput_per_s": throughput,
            "final_seconds": round(last_final.timestamp() - wall_started, 3) if last_final else None,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "confirmed": count(BookingState.CONFIRMED),
            "manual_review": count(BookingState.MANUAL_REVIEW),
            "stuck": count(BookingState.ASSIGNMENT_PENDING) + count(BookingState.PENDING),
            "lost": len(requests) - total,
            "overlaps": overlaps,
            "covers": covers,
            "engine_replay_covers": replay_covers,
            "ceiling_tps": ceiling,
            "ceiling_source": source if ceiling else None,
            "ratio_to_ceiling": round(throughput / ceiling, 3) if ceiling else None,
        }
        if json:
            self.stdout.write(jsonlib.dumps(result))
            return
        write_summary(self, "Load test", result.items())

    # -- the ceiling ------------------------------------------------------------------------------------

    def _ceiling_scripts(self, folder: str | None) -> tuple[str, str, str]:
        """The ceiling's schema and one-booking transaction: the project's reference (shared/pglimit) when it
        is there, else the built-in stand-in of the same write path."""
        from pathlib import Path

        candidate = Path(folder) if folder else Path(settings.BASE_DIR).parent / "shared" / "pglimit"
        if (candidate / "schema.sql").is_file() and (candidate / "txn.sql").is_file():
            return (
                (candidate / "schema.sql").read_text(),
                (candidate / "txn.sql").read_text(),
                "shared/pglimit",
            )
        if folder:
            raise CommandError(f"{folder}: no schema.sql and txn.sql there")
        return CEILING_SCHEMA, CEILING_TXN, "built-in"

    def _ceiling(self, seconds: float, schema: str, txn: str, say) -> float:
        """pgbench, 2 clients, over the bare-SQL write path on a scratch database next to ours."""
        db = settings.DATABASES["default"]
        name = f"{db['NAME']}_ceiling"[:63]
        conn = [
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
        ]
        env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})}
        say(f"ceiling: building {name} and running pgbench for {seconds:.0f} s")
        run = lambda cmd, **kw: subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, **kw)  # noqa: E731
        try:
            run(
                [
                    "psql",
                    *conn,
                    "-d",
                    "postgres",
                    "-q",
                    "-c",
                    f'DROP DATABASE IF EXISTS "{name}"',
                    "-c",
                    f'CREATE DATABASE "{name}"',
                ]
            )
            run(["psql", *conn, "-d", name, "-q", "-v", "ON_ERROR_STOP=1"], input=schema)
            with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
                script.write(txn)
                script.flush()
                out = run(
                    [
                        "pgbench",
                        *conn,
                        "-n",
                        "-f",
                        script.name,
                        "-c",
                        "2",
                        "-j",
                        "2",
                        "-T",
                        str(int(seconds)),
                        name,
                    ]
                ).stdout
        except FileNotFoundError as exc:
            raise CommandError(
                f"the ceiling needs psql and pgbench on PATH ({exc}); or pass --ceiling-seconds 0"
            ) from exc
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"the ceiling run failed: {exc.stderr.strip()[:500]}") from exc
        finally:
            subprocess.run(
                ["psql", *conn, "-d", "postgres", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}"'],
                env=env,
                capture_output=True,
            )
        match = re.search(r"tps = ([\d.]+)", out)
        if not match:
            raise CommandError(f"could not read pgbench's tps from: {out[-300:]}")
        return round(float(match.group(1)), 1)

    # -- the load ----------------------------------------------------------------------------------------

    def _flush_queues(self) -> None:
        import dramatiq

        import assignments.tasks  # noqa: F401

        broker = dramatiq.get_broker()
        for queue in list(broker.get_declared_queues()):
            broker.flush(queue)

    def _fit_pool(self, concurrency: int) -> None:
        """This process's connection pool holds every creating thread plus the waiting main thread: with the
        default 8 and `--concurrency 8`, a creating thread waited DB_POOL_TIMEOUT for a connection and its
        booking was counted lost (the workers, each their own process, are not concerned)."""
        options = connection.settings_dict["OPTIONS"].get("pool")
        if not isinstance(options, dict) or options.get("max_size", 0) >= concurrency + 2:
            return
        connections.close_all()
        connection.close_pool()
        options["max_size"] = concurrency + 2

    def _create(self, scenario, requests, concurrency, rate, *, submit: bool) -> int:
        self._fit_pool(concurrency)
        errors: list[BaseException] = []
        opened = set()  # each creating thread's database connection, closed once the pool is done

        def create(item):
            r, b = item
            opened.add(connections["default"])
            try:
                with transaction.atomic():
                    booking = booking_create(
                        restaurant=r,
                        party_size=b.party_size,
                        start_at=scenario.local_datetime(b.start_minute),
                        duration_minutes=b.duration_minutes if b.explicit_duration else None,
                        external_ref=b.id,
                        arrival=b.arrival,
                        preferred_zone=r.zones.get(key=b.preferred_zone) if b.preferred_zone else None,
                        needs_accessible=b.accessible,
                    )
                    if submit:
                        booking_submit_for_assignment(booking=booking, trigger="creation")
            except BaseException as exc:  # reported after the run
                errors.append(exc)

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
            self.stderr.write(f"{len(errors)} bookings could not be created; first: {errors[0]!r}")
        return len(errors)

    def _submit_all(self, restaurant_ids) -> tuple[float, float]:
        """The burst: every booking made due in one commit (in arrival order); returns when it committed."""
        committed: list[tuple[float, float]] = []
        with transaction.atomic():
            # the first on-commit callback: the moment the burst is visible, before its wake-ups go out
            transaction.on_commit(lambda: committed.append((datetime.now().timestamp(), time.monotonic())))
            for booking in Booking.objects.filter(restaurant_id__in=restaurant_ids).order_by("arrival", "id"):
                booking_submit_for_assignment(booking=booking, trigger="creation")
        return committed[0]

    def _wait(self, restaurant_ids, started, timeout) -> float:
        while True:
            pending = Booking.objects.filter(
                restaurant_id__in=restaurant_ids,
                state__in=[BookingState.ASSIGNMENT_PENDING, BookingState.PENDING],
            ).count()
            elapsed = time.monotonic() - started
            progress = getattr(self, "_progress", None)
            if progress is not None and progress.enabled:
                total = Booking.objects.filter(restaurant_id__in=restaurant_ids).count()
                progress.update(total - pending, total)
            if pending == 0 or elapsed > timeout:
                return elapsed
            time.sleep(0.05)
