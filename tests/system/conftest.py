"""Fixtures of the system tests: real processes from the Procfile on a private Redis and a database of their own.

Every test here is marked postgres + redis + slow: it skips on the embedded run and runs in CI on PostgreSQL.
`--procfile PATH` runs them against another process list (the repository's `Procfile` by default).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.system import harness


def pytest_addoption(parser):
    parser.addoption("--procfile", default=None, help="system tests: the Procfile to run (default: the repo's)")


@pytest.fixture(scope="session")
def system_template():
    """One migrated database on the shared server, cloned by every System of the session (skips migrate)."""
    server = harness.shared_server_url()
    name = f"maitre_system_tpl_{os.getpid()}_{secrets.token_hex(2)}"
    harness.migrated_template(server, name)
    yield name
    harness.drop_database(server, name)


@pytest.fixture
def make_system(request, system_template):
    """`make_system(**System kwargs)` -> a started System, stopped at the end of the test whatever happens."""
    started: list[harness.System] = []
    procfile = request.config.getoption("--procfile")

    def make(**kwargs) -> harness.System:
        kwargs.setdefault("procfile", Path(procfile) if procfile else None)
        if not kwargs.get("private_postgres"):
            kwargs.setdefault("template", system_template)
        system = harness.System(**kwargs)
        started.append(system)
        system.start()
        return system

    yield make
    for system in reversed(started):
        system.stop()
