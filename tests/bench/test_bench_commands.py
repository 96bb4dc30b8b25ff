"""The benchmark commands end to end: bench_engine's progress and quiet modes, bench_availability on a small
day, loadtest with real worker processes."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

SMALL = str(settings.BASE_DIR / "scenarios" / "sample-small.json")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.slow
def test_bench_engine_shows_each_phase_with_counts_on_a_terminal():
    out, err = io.StringIO(), Terminal()
    call_command("bench_engine", SMALL, "--time-limit", "1", stdout=out, stderr=err)
    shown = err.getvalue()
    assert "done: [1/1] sample-small: computing the online limit" in shown and "(39) in" in shown
    assert "done: [1/1] sample-small: replaying engine_reseat (39) in" in shown
    assert "scenarios" in shown and "elapsed" in shown and "left" in shown
    assert "sample-small  (12 tables, 39 bookings" in out.getvalue() and "Summary" in out.getvalue()


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_bench_engine_is_quiet_off_a_terminal_and_with_json(extra):
    out = io.StringIO()
    err = Terminal() if extra else io.StringIO()
    call_command(
        "bench_engine", SMALL, "--time-limit", "1", "--no-online-limit", *extra, stdout=out, stderr=err
    )
    assert err.getvalue() == ""
    if extra:
        assert json.loads(out.getvalue())["scenarios"][0]["name"] == "sample-small"


@pytest.mark.django_db(transaction=True)
def test_bench_availability_measures_a_small_day():
    out = io.StringIO()
    call_command(
        "bench_availability",
        SMALL,
        "--iterations",
        "5",
        "--cold-iterations",
        "3",
        "--changes",
        "2",
        "--json",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert result["scenario"] == "sample-small" and result["seated"] > 0
    assert result["slot_warm"]["n"] == 5 and result["staleness"]["n"] >= 1


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_loadtest_seats_a_small_day_with_real_workers(redis_client, monkeypatch):
    from django.db import connection

    db = connection.settings_dict  # the worker processes read DATABASE_URL: point them at the test database
    monkeypatch.setenv("DATABASE_URL", f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    out = io.StringIO()
    call_command(
        "loadtest",
        SMALL,
        "--workers",
        "1",
        "--threads",
        "2",
        "--warmup",
        "0",
        "--timeout",
        "120",
        "--ceiling-seconds",
        "0",
        "--json",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert result["bookings"] == 39 and result["stuck"] == 0 and result["overlaps"] == 0
    assert result["confirmed"] > 0 and result["confirmed"] + result["manual_review"] == 39


@pytest.mark.postgres
@pytest.mark.redis
def test_bench_heal_times_a_freed_table_seating_the_party_in_review(
    transactional_db, redis_client, monkeypatch
):
    from django.db import connection

    db = connection.settings_dict  # the worker process reads DATABASE_URL: point it at the test database
    monkeypatch.setenv("DATABASE_URL", f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    out = io.StringIO()
    call_command("bench_heal", "--runs", "2", "--json", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    assert (
        result["runs"] == 2 and len(result["cancel_to_seated_s"]) == 2 and len(result["floor_heal_ms"]) == 2
    )
    assert result["debounce_ms"] / 1000 <= result["median_s"] < 30
