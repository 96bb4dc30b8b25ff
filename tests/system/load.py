"""The load driver and the end-of-run checks of the system tests.

`LoadDriver` plays booking platforms: it POSTs a scenario's bookings to the `web` process (token auth) at a
given rate, and retries a request that failed (connection refused, a timeout, a 5xx) with the same
`external_ref`, as a platform would, until it is answered. `pipeline_report` then reads the database:
bookings by state, stuck, lost, overlapping allocations (tstzrange &&) and broken history chains.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from assignments.scenario import load_scenario

FINAL_STATES = ("confirmed", "manual_review")


@dataclass(frozen=True)
class BookingRequest:
    restaurant: str
    external_ref: str
    body: dict


def scenario_bookings(
    scenario_path: Path, slugs: list[str], limit: int | None = None, *, day: date | None = None
) -> list[BookingRequest]:
    """The scenario's bookings in arrival order, one copy per restaurant slug, interleaved; on `day` when
    given (System.day: where System.import_floor put the floor)."""
    scenario = load_scenario(scenario_path)
    if day is not None:
        scenario = replace(scenario, restaurant=replace(scenario.restaurant, date=day))
    out = []
    for b in scenario.bookings_by_arrival()[:limit]:
        for slug in slugs:
            body = {
                "restaurant": slug,
                "party_size": b.party_size,
                "start_at": scenario.local_datetime(b.start_minute).isoformat(),
                "external_ref": b.id,
                "preferred_zone": b.preferred_zone,
                "needs_accessible": b.accessible,
            }
            if b.explicit_duration:
                body["duration_minutes"] = b.duration_minutes
            out.append(BookingRequest(slug, b.id, body))
    return out


@dataclass
class Answer:
    status: int  # the final HTTP status (0: never answered)
    booking_id: int | None
    tries: int
    statuses: list[int]
    seconds: list[float]  # how long each try took
    last_body: dict = field(default_factory=dict)  # the last answer's JSON (an error's detail)


@dataclass
class LoadDriver:
    """POST `requests` to `base_url`/api/bookings at `rate` per second (None: all at once) from `concurrency`
    threads. A request that is not answered 200/201 is retried with the same external_ref for up to
    `give_up_after` seconds (a 429 too; any other 4xx is final). Run with `start()` + `join()` (in the
    background) or `run()`."""

    base_url: str
    token: str
    requests: list[BookingRequest]
    rate: float | None = 20.0
    concurrency: int = 8
    timeout: float = 5.0
    give_up_after: float = 90.0
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> LoadDriver:
        self._thread = threading.Thread(target=self.run, name="load-driver", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the load driver is still sending")

    def run(self) -> None:
        self.started_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="load") as pool:
            futures = []
            for i, request in enumerate(self.requests):
                if self.rate:
                    delay = self.started_at + i / self.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                futures.append(pool.submit(self._send, request))
            for f in futures:
                f.result()
        self.finished_at = time.monotonic()

    def _send(self, request: BookingRequest) -> None:
        statuses: list[int] = []
        seconds: list[float] = []
        deadline = time.monotonic() + self.give_up_after
        booking_id = None
        pause = 0.1
        while True:
            t0 = time.monotonic()
            status, body = self._post(request.body)
            seconds.append(time.monotonic() - t0)
            statuses.append(status)
            if status in (200, 201):
                booking_id = body.get("id")
                break
            if (400 <= status < 500 and status != 429) or time.monotonic() > deadline:
                break
            time.sleep(pause)  # 429 (throttled), 5xx or no answer: try again, as a platform would
            pause = min(1.0, pause * 2)
        with self._lock:
            self.answers[(request.restaurant, request.external_ref)] = Answer(
                status, booking_id, len(statuses), statuses, seconds, body
            )

    def _post(self, body: dict) -> tuple[int, dict]:
        req = urllib.request.Request(
            self.base_url + "/api/bookings",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {}
        except (OSError, ValueError):  # refused, reset, timed out, a half answer
            return 0, {}

    # what the tests read
    def status_counts(self) -> Counter:
        """Every answer the driver got, retries included (0: no answer)."""
        return Counter(s for a in self.answers.values() for s in a.statuses)

    def slowest(self) -> float:
        """The longest wait for one answer (a try that timed out counts as `timeout`)."""
        return max((t for a in self.answers.values() for t in a.seconds), default=0.0)

    def unanswered(self) -> list[tuple[str, str]]:
        return sorted(k for k, a in self.answers.items() if a.status not in (200, 201))

    def accepted(self) -> dict[tuple[str, str], int]:
        return {k: a.booking_id for k, a in self.answers.items() if a.status in (200, 201)}


# -- the checks ---------------------------------------------------------------------------------
STATES_SQL = """
SELECT b.state, count(*) FROM assignments_booking b JOIN assignments_restaurant r ON r.id = b.restaurant_id
WHERE r.slug = ANY(%s) GROUP BY b.state
"""

BOOKINGS_SQL = """
SELECT r.slug, b.external_ref, b.id, b.state FROM assignments_booking b
JOIN assignments_restaurant r ON r.id = b.restaurant_id WHERE r.slug = ANY(%s)
"""

OVERLAPS_SQL = """
SELECT count(*) FROM assignments_tableallocation a
JOIN assignments_tableallocation b
  ON a.table_id = b.table_id AND a.id < b.id
 AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
JOIN assignments_restaurant r ON r.id = a.restaurant_id
WHERE r.slug = ANY(%s)
"""

# version == number of history rows, one row per version 1..version, each row starts where the one before
# ended, and the last one ends in the booking's state.
BROKEN_HISTORY_SQL = """
WITH h AS (
  SELECT h.booking_id, h.version, h.from_state, h.to_state,
         lag(h.to_state) OVER (PARTITION BY h.booking_id ORDER BY h.version) AS before,
         row_number() OVER (PARTITION BY h.booking_id ORDER BY h.version DESC) AS from_last
  FROM booking_state_history h
)
SELECT b.id, b.version, b.state, count(h.booking_id), count(DISTINCT h.version),
       coalesce(max(h.version), 0), count(*) FILTER (WHERE h.before IS NOT NULL AND h.before <> h.from_state),
       max(h.to_state) FILTER (WHERE h.from_last = 1)
FROM assignments_booking b
JOIN assignments_restaurant r ON r.id = b.restaurant_id
LEFT JOIN h ON h.booking_id = b.id
WHERE r.slug = ANY(%s)
GROUP BY b.id, b.version, b.state
HAVING count(h.booking_id) <> b.version OR count(DISTINCT h.version) <> b.version OR coalesce(max(h.version), 0) <> b.version
    OR count(*) FILTER (WHERE h.before IS NOT NULL AND h.before <> h.from_state) > 0
    OR max(h.to_state) FILTER (WHERE h.from_last = 1) IS DISTINCT FROM b.state::text
"""

# A confirmed booking has tables; any other booking has none.
MISALLOCATED_SQL = """
SELECT b.id, b.state, count(a.id) FROM assignments_booking b
JOIN assignments_restaurant r ON r.id = b.restaurant_id
LEFT JOIN assignments_tableallocation a ON a.booking_id = b.id
WHERE r.slug = ANY(%s)
GROUP BY b.id, b.state
HAVING (b.state = 'confirmed') <> (count(a.id) > 0)
"""

TABLES_SQL = """
SELECT b.external_ref, t.label FROM assignments_tableallocation a
JOIN assignments_booking b ON b.id = a.booking_id
JOIN assignments_table t ON t.id = a.table_id
JOIN assignments_restaurant r ON r.id = b.restaurant_id
WHERE r.slug = %s ORDER BY b.external_ref, t.label
"""


def not_final(system, slugs: list[str]) -> int:
    return sum(n for state, n in system.sql(STATES_SQL, [slugs]) if state not in FINAL_STATES)


def wait_until_final(system, slugs: list[str], *, timeout: float) -> float | None:
    """Seconds until no booking of `slugs` is outside confirmed / manual_review; None after `timeout`."""
    started = time.monotonic()
    while True:  # looks at least once, also with no time left
        try:
            if not_final(system, slugs) == 0:
                return time.monotonic() - started
        except Exception:  # the database may be coming back
            pass
        if time.monotonic() - started >= timeout:
            return None
        time.sleep(0.25)


def pipeline_report(system, slugs: list[str], driver: LoadDriver | None = None) -> dict:
    """Everything the fault tests assert, in one dict (printed on failure)."""
    by_state = dict(system.sql(STATES_SQL, [slugs]))
    rows = system.sql(BOOKINGS_SQL, [slugs])
    in_db = {(slug, ref): (pk, state) for slug, ref, pk, state in rows}
    report = {
        "bookings": len(rows),
        "by_state": by_state,
        "stuck": sorted(pk for pk, state in in_db.values() if state not in FINAL_STATES),
        "overlaps": system.sql(OVERLAPS_SQL, [slugs])[0][0],
        "broken_history": [list(r) for r in system.sql(BROKEN_HISTORY_SQL, [slugs])],
        "misallocated": [list(r) for r in system.sql(MISALLOCATED_SQL, [slugs])],
    }
    if driver is not None:
        accepted = driver.accepted()
        report["sent"] = len(driver.requests)
        report["answered"] = len(accepted)
        report["unanswered"] = driver.unanswered()[:20]
        if report["unanswered"]:
            first = driver.answers[tuple(report["unanswered"][0])]
            report["first_unanswered"] = {"statuses": first.statuses, "body": first.last_body}
        report["http_statuses"] = dict(driver.status_counts())
        # Lost: the platform was told "created" and the booking is not there, not that one, or not final.
        report["lost"] = sorted(
            key
            for key, pk in accepted.items()
            if key not in in_db or in_db[key][0] != pk or in_db[key][1] not in FINAL_STATES
        )[:20]
        report["lost_count"] = sum(
            1
            for key, pk in accepted.items()
            if key not in in_db or in_db[key][0] != pk or in_db[key][1] not in FINAL_STATES
        )
    return report


def assert_clean(report: dict, logs: str = "") -> None:
    """0 stuck, 0 lost, 0 overlaps, every history chain intact, every request answered."""
    problems = []
    if report["stuck"]:
        problems.append(f"{len(report['stuck'])} bookings not final: {report['stuck'][:20]}")
    if report["overlaps"]:
        problems.append(f"{report['overlaps']} overlapping allocations")
    if report["broken_history"]:
        problems.append(
            f"broken history chains (id, version, state, rows, versions, max, breaks, last): "
            f"{report['broken_history'][:10]}"
        )
    if report["misallocated"]:
        problems.append(f"tables do not match states (id, state, tables): {report['misallocated'][:10]}")
    if report.get("unanswered"):
        problems.append(f"requests never answered 200/201: {report['unanswered']}")
    if report.get("lost_count"):
        problems.append(f"{report['lost_count']} lost bookings: {report['lost']}")
    if report.get("sent") is not None and report["bookings"] < report["answered"]:
        problems.append(f"{report['answered']} answered but {report['bookings']} in the database")
    assert not problems, "\n".join(problems) + f"\nreport: {json.dumps(report, default=str)[:3000]}\n{logs}"
