"""A process's clock against the database's: measured, exported, and past the limit reported by /health/ and
warned of by a worker (the fault audit ran a worker 15 minutes fast: it swept a hold with 10 minutes to live, and a
web process 3 minutes fast left its bookings waiting 3 minutes, with nothing to say so)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from assignments import metrics
from assignments.clock import clock_skew_measure

pytestmark = pytest.mark.django_db


def _skip_on_sqlite():
    if connection.vendor != "postgresql":
        pytest.skip("one machine's clock: nothing to compare")


def test_the_skew_is_near_zero_on_one_machine_and_exported():
    _skip_on_sqlite()
    skew = clock_skew_measure()
    assert skew is not None and abs(skew) < 0.5
    assert metrics.CLOCK_SKEW._value.get() == pytest.approx(skew)


def test_a_fast_clock_is_reported_by_the_health_check_without_failing_it(client, monkeypatch, settings):
    """Reported, not failed: a drifting database clock must not take every web instance out at once."""
    _skip_on_sqlite()
    assert client.get("/health/").json()["checks"]["clock"] == "ok"
    real = time.time
    monkeypatch.setattr("assignments.clock.time.time", lambda: real() + 900)  # 15 minutes fast
    r = client.get("/health/")
    assert r.status_code == 200 and r.json()["checks"]["clock"].startswith("skewed: +900.")
    assert metrics.CLOCK_SKEW._value.get() == pytest.approx(900, abs=1)


def test_the_worker_warns_when_its_clock_is_off(caplog, settings):
    from assignments.sweeper import _warn_if_skewed

    _warn_if_skewed(1.0)
    assert not caplog.records
    _warn_if_skewed(-180.0)
    assert "180.0 s behind the database's" in caplog.text and "NTP" in caplog.text
