"""Shared fixtures. Tests marked `postgres` or `redis` need the real services; on the embedded defaults they
skip with the reason. With MAITRE_REQUIRE_SERVICES=1 (CI) nothing skips: a missing service fails."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("MAITRE_REQUIRE_SERVICES") == "1"


# Whole directories and files whose tests are slow (real processes, browsers, multi-process races):
# `make test-fast` (pytest -m "not slow") leaves them out. Single slow tests carry @pytest.mark.slow.
SLOW_PATHS = (
    "tests/system/",
    "tests/browser/",
    "tests/coordinator/test_worker_process.py",
    "tests/deploy/test_topology.py",
    "tests/deploy/test_scheduler_lock.py",
    "tests/deploy/test_static_files.py",
)


# Tests that touch none of the backends DATABASE_URL / REDIS_URL choose (no database, cache, lock or broker of the
# environment's: the engine, the solvers, file formats, packaging, processes on services of their own): they
# pass or fail alike on Postgres + Redis and embedded, so CI's embedded pass leaves them out (marked `pure`).
# A pure test that asks for the database is refused at collection.
PURE = (
    "tests/engine/",
    "tests/optimization/test_model.py",
    "tests/optimization/test_reseat.py",
    "tests/optimization/test_reseat_determinism.py",
    "tests/optimization/test_solver_pure.py",
    "tests/assignments/test_service_hours.py",
    "tests/assignments/test_timeline_layout.py",
    "tests/api/test_schema.py",
    "tests/bench/test_benchmarking.py",
    "tests/bench/test_engine_tuning.py",
    "tests/bench/test_references.py",
    "tests/bench/test_bench_app.py",
    "tests/bench/test_bench_commands.py::test_bench_engine_shows_each_phase_with_counts_on_a_terminal",
    "tests/commands/test_make_test_fast.py",
    "tests/commands/test_readme_commands.py::test_make_bench_is_bench_engine_on_the_samples",
    "tests/commands/test_readme_commands.py::test_make_engine_sets_generates_the_documented_days",
    "tests/deploy/test_scheduler_lock.py",
    "tests/deploy/test_static_files.py",
    "tests/deploy/test_config_errors.py",
)
DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "live_server",
    "django_db_serialized_rollback",
}

# Tests that must not run beside each other under pytest-xdist (CI's `-n 2`): within a group, one test at a time
# across the workers (a file lock per run, `_serial_groups` below). `system`: the Procfile's processes on private
# clusters (heavy, timed); `servers`: servers started on a port picked from a shared range (two workers could
# pick the same one). (xdist's own `--dist loadgroup` reads a node id that pytest 9 no longer lets it change.)
# The groups' tests are collected first, in this order: xdist's first batch of consecutive tests (an eighth of
# the suite) gives them all to one worker, which runs the long chain of system tests while the other worker
# takes everything else; collected last, as their paths would have it, both workers reached them at the end
# and one waited on the lock.
SERIAL_GROUPS = {
    "system": ("tests/system/",),
    "servers": (
        "tests/deploy/test_topology.py",
        "tests/deploy/test_scheduler_lock.py",
        "tests/deploy/test_static_files.py",
        "tests/commands/test_readme_commands.py::test_make_run_serves_the_app_on_the_port_given",
        "tests/commands/test_readme_commands.py::test_make_up_runs_the_procfile_on_postgres_and_redis",
    ),
}


@contextlib.contextmanager
def xdist_serial(group: str):
    """One holder at a time among the xdist workers of this run (nothing to wait for without xdist)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        yield
        return
    with open(Path(tempfile.gettempdir()) / f"maitre-xdist-{run}-{group}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _serial_groups(request):
    group = _serial_group(request.node.nodeid)
    if group is None:
        yield
        return
    with xdist_serial(group):
        yield


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.IS_POSTGRES
    on_redis = bool(settings.REDIS_URL)
    root = str(config.rootpath)
    for item in items:
        if str(item.path).removeprefix(root).lstrip("/").startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(PURE):
            if item.get_closest_marker("django_db") or DB_FIXTURES & set(getattr(item, "fixturenames", ())):
                raise pytest.UsageError(
                    f"{item.nodeid} is listed as pure (tests/conftest.py) but uses the database"
                )
            item.add_marker(pytest.mark.pure)
        if "postgres" in item.keywords and not on_postgres:
            if REQUIRE_SERVICES:
                raise pytest.UsageError("MAITRE_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://..."))
        if "redis" in item.keywords and not on_redis:
            if REQUIRE_SERVICES:
                raise pytest.UsageError("MAITRE_REQUIRE_SERVICES=1 but REDIS_URL is not set")
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://..."))
    order = {group: i for i, group in enumerate(SERIAL_GROUPS)}
    items.sort(
        key=lambda item: order.get(_serial_group(item.nodeid), len(order))
    )  # stable: the rest keep theirs


def _serial_group(nodeid: str) -> str | None:
    return next((g for g, places in SERIAL_GROUPS.items() if nodeid.startswith(places)), None)


@pytest.fixture
def redis_client():
    """The real Redis of REDIS_URL, emptied before and after the test (CI uses a dedicated db number)."""
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from assignments.caches import maitre_caches_reset

    # Every process-wide cache (the rollout mode, the Redis guard: a Redis failure another test provoked must
    # not make this one skip Redis; floors, time zones, lock manager, breaker, settings object) forgotten.
    maitre_caches_reset()
    try:
        cache.clear()
    except Exception:
        pass
    yield


@pytest.fixture(autouse=True)
def _rollout_switches(request):
    """The rollout switches as their migration seeds them. A transactional test ends with a flush, which deletes
    them, so every later test would run the legacy assigner: put back any that is missing."""
    if not (
        request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    import importlib

    from waffle.models import Switch

    request.getfixturevalue("_django_db_helper")
    seeding = importlib.import_module("assignments.migrations.0003_rollout_switches")
    pipeline_v3, shadow = seeding.INITIAL[getattr(settings, "MAITRE_ROLLOUT_INITIAL_MODE", "engine")]
    initial = {
        "assignment_pipeline_v3": pipeline_v3,
        "assignment_shadow_mode": shadow,
        "assignment_kill_switch": False,
    }
    for name, note in seeding.SWITCHES.items():
        Switch.objects.get_or_create(name=name, defaults={"active": initial[name], "note": note})


@pytest.fixture
def restaurant(db):
    from tests.factories import FloorFactory

    return FloorFactory.small()


@pytest.fixture
def sample_restaurant(db):
    from assignments.scenario import load_scenario
    from assignments.services.scenarios import scenario_import

    return scenario_import(scenario=load_scenario(settings.BASE_DIR / "scenarios" / "sample-small.json"))
