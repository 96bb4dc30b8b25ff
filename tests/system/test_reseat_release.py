"""A worker stopped with SIGTERM (a deploy, a scale-down) while its re-seat thread has searches queued gives their
bookings back at once: the next worker decides them within seconds instead of after the 60 s lease the batch
wrote (coordinator.RESEAT_LEASE). As deployed: the Procfile's web and worker, Postgres, a private Redis, the
supervisor restarting the stopped worker as a process manager would."""

from __future__ import annotations

import signal
import time

import pytest

from tests.system import harness
from tests.system.harness import SCENARIOS
from tests.system.load import LoadDriver, assert_clean, pipeline_report, scenario_bookings, wait_until_final

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SCENARIO = SCENARIOS / "sample-large.json"
LIMIT = 110  # the first part of its evening by arrival: enough for the peak to run out of tables

# Bookings of the day leased by a batch for their re-seat search (due a lease away, still pending).
LEASED_SQL = """
SELECT b.id, b.due_at FROM assignments_booking b JOIN assignments_restaurant r ON r.id = b.restaurant_id
WHERE r.slug = %s AND b.state = 'assignment_pending' AND b.due_at > now() + interval '30 seconds'
"""
NOW_SQL = """
SELECT b.id, b.state, b.due_at FROM assignments_booking b WHERE b.id = ANY(%s)
"""


def test_a_stopped_worker_gives_its_queued_reseats_back_at_once(make_system):
    # A larger search budget than production's 2.0, so that the re-seat thread is still busy when it is stopped.
    system = make_system(formation={"web": 1, "worker": 1}, env={"MAITRE_RESEAT_DETERMINISTIC_TIME": "5"})
    slug = system.import_floor(SCENARIO, slug="release-1")
    # one attempt: a booking with no plan goes straight to its re-seat search (the evening is oversubscribed)
    system.sql(
        "UPDATE assignments_restaurant SET max_assignment_attempts = 1 WHERE slug = %s RETURNING id", [slug]
    )
    worker = system.process("worker")
    harness.wait_for(
        lambda: "worker ready" in worker.log_path.read_text(errors="replace"), timeout=60, what="the worker"
    )
    driver = LoadDriver(
        system.web_url,
        system.token,
        scenario_bookings(SCENARIO, [slug], limit=LIMIT, day=system.day),
        rate=None,
    ).start()

    leased = harness.wait_for(
        lambda: (rows := system.sql(LEASED_SQL, [slug])) and len(rows) >= 3 and rows,
        timeout=120,
        interval=0.05,
        what="three bookings leased for their re-seat searches",
    )
    worker.kill(signal.SIGTERM)
    stopped = time.monotonic()
    leases = {pk: due for pk, due in leased}

    def still_leased() -> list[int]:
        rows = system.sql(NOW_SQL, [list(leases)])
        return [pk for pk, state, due in rows if state == "assignment_pending" and due == leases[pk]]

    # All but the search under way at the stop (a graceful stop waits up to 10 s for it, then leaves it to its
    # lease) move on: given back at once, then decided (or leased anew) by the restarted worker.
    harness.wait_for(lambda: len(still_leased()) <= 1, timeout=40, interval=0.2, what="the queued re-seats")
    waited = time.monotonic() - stopped
    driver.join(120)
    drained = wait_until_final(system, [slug], timeout=300)

    worker_log = worker.log_path.read_text(errors="replace")
    logs = system.logs(tail=40)
    print({"leased_at_stop": len(leases), "moved_on_after_s": round(waited, 1)})
    # Under the 60 s lease by far (the old code left them until their leases ran out, 60 s after their batch).
    assert waited < 40, (waited, logs)
    assert "queued re-seat(s) released to other workers" in worker_log, logs
    assert drained is not None, logs
    assert_clean(pipeline_report(system, [slug], driver), logs)
