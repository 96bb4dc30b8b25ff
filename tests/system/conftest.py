"""Fixtures of the system tests: real processes from the Procfile on a private Redis and a database of their own.

Every test here is marked postgres + redis + slow: it skips on the embedded run and runs in CI on PostgreSQL.
`--procfile PATH` runs them against another process list (the repository's `Procfile` by default);
`--system-logs DIR` keeps every process's whole log.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import xdist_serial
from tests.system import harness

LOAD_THROTTLES = (
    "bookings.burst=10000/s,bookings.sustained=1000000/min,api.burst=10000/s,api.sustained=1000000/min"
)


def pytest_addoption(parser):
    parser.addoption(
        "--procfile", default=None, help="system tests: the Procfile to run (default: the repo's)"
    )
    parser.addoption(
        "--system-logs", default=None, help="system tests: keep every process's log under this directory"
    )


@pytest.fixture(scope="session")
def system_server():
    """A throwaway PostgreSQL cluster for the session with one migrated database, cloned by every System
    (CREATE DATABASE ... TEMPLATE: no migrate per test). Not the shared server: a system test opens dozens of
    connections (web, worker threads, sweepers), and the shared one has 100 for every engineer."""
    workdir = Path(
        tempfile.mkdtemp(prefix="maitre-system-pg-")
    )  # not under pytest's 0700 root: postgres must reach it
    cluster = None
    try:
        # Its port is picked and taken while no other xdist worker's system test runs (each worker has its own
        # session cluster): picked outside the lock, two workers would pick the same free port.
        with xdist_serial("system"):
            cluster = harness.PostgresCluster(workdir, name="")
            cluster.start()
        template = "maitre_template"
        harness.migrated_template(cluster.admin_url, template)
        yield cluster.admin_url, template
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def make_system(request, system_server):
    """`make_system(**System kwargs)` -> a started System, stopped at the end of the test whatever happens."""
    started: list[harness.System] = []
    procfile = request.config.getoption("--procfile", default=None)
    keep_logs = request.config.getoption("--system-logs", default=None)

    def make(**kwargs) -> harness.System:
        kwargs.setdefault("procfile", Path(procfile) if procfile else None)
        if keep_logs:
            kwargs.setdefault("keep_logs", Path(keep_logs))
        # The driver plays every booking platform at once from one token: lift the per-client API throttles.
        kwargs["env"] = {"MAITRE_THROTTLE_RATES": LOAD_THROTTLES, **(kwargs.get("env") or {})}
        if not kwargs.get("private_postgres"):
            kwargs.setdefault("server_url", system_server[0])
            kwargs.setdefault("template", system_server[1])
        system = harness.System(**kwargs)
        started.append(system)
        system.start()
        return system

    yield make
    for system in reversed(started):
        system.stop()
