"""The harness itself: processes from the Procfile, a supervisor that restarts them, a clean teardown."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import psycopg
import pytest

from tests.system import harness
from tests.system.harness import SCENARIOS
from tests.system.load import LoadDriver, assert_clean, pipeline_report, scenario_bookings, wait_until_final

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_procfile_lines_are_parsed(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "# comment\n\nweb: python manage.py web --port $PORT\nworker: python manage.py worker\n"
    )

    assert harness.parse_procfile(procfile) == {
        "web": "python manage.py web --port $PORT",
        "worker": "python manage.py worker",
    }
    procfile.write_text("web python manage.py web\n")
    with pytest.raises(harness.HarnessError, match="expected `name: command`"):
        harness.parse_procfile(procfile)


def test_a_small_day_is_seated_and_everything_is_gone_after_stop(make_system):
    system = make_system(formation={"web": 1, "worker": 2, "scheduler": 1})
    slug = system.import_floor(SCENARIOS / "sample-small.json", slug="harness-small")
    requests = scenario_bookings(SCENARIOS / "sample-small.json", [slug], day=system.day)
    driver = LoadDriver(system.web_url, system.token, requests, rate=None)
    driver.run()
    assert wait_until_final(system, [slug], timeout=60) is not None, system.logs()
    report = pipeline_report(system, [slug], driver)
    assert_clean(report, system.logs())
    assert report["bookings"] == 39 and report["by_state"].get("confirmed", 0) > 0

    worker = system.process("worker", 1)
    killed_pid = worker.pid
    worker.kill(signal.SIGKILL)
    harness.wait_for(
        lambda: worker.restarts == 1 and worker.alive(), timeout=10, what="the supervisor's restart"
    )
    assert worker.pid != killed_pid and worker.exits == [-signal.SIGKILL]

    groups = {pgid for p in system.processes for pgid in p.groups}
    members = _members_of(groups)
    assert len(members) > len(system.processes)  # gunicorn's workers are children in the web's group
    redis_port, db_url = system.redis.port, system.postgres.url
    system.stop()
    time.sleep(0.2)
    assert _members_of(groups) == set()
    for pid in members:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redis_port), timeout=0.5).close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(db_url, connect_timeout=3).close()


def _members_of(groups: set[int]) -> set[int]:
    """Live processes in these process groups (field 5 of /proc/PID/stat), zombies left out."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) in groups:
            found.add(int(stat.parent.name))
    return found
