"""The optimizer on a schedule: each restaurant's slot runs once a day at its local time, its result
(gain found, applied or not, moves) is recorded for the admin and the metrics, and bookings inside the
freeze window are never moved."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from assignments import metrics
from optimization.models import OptimizerRun, OptimizerSchedule
from optimization.scheduling import optimizer_run_execute, optimizer_runs_start_due
from tests.factories import DAY, LONDON, at
from tests.optimization.test_day_optimizer import in_review, seat, tables_of

pytestmark = pytest.mark.django_db


def local(hhmm: str, day=DAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=LONDON)


def test_a_slot_runs_once_a_day_at_the_restaurants_local_time(restaurant):
    schedule = OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(15, 0))
    OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(18, 30), is_active=False)

    assert optimizer_runs_start_due(now=local("14:59")) == []
    [run_id] = optimizer_runs_start_due(now=local("15:02"))
    assert optimizer_runs_start_due(now=local("15:03")) == []  # once per slot and day
    assert optimizer_runs_start_due(now=local("15:31")) == []  # past the catch-up window
    assert optimizer_runs_start_due(now=local("18:31")) == []  # the inactive slot never runs
    assert len(optimizer_runs_start_due(now=local("15:00", DAY + timedelta(days=1)))) == 1
    run = OptimizerRun.objects.get(pk=run_id)
    assert run.schedule == schedule and run.day == DAY and run.status == "running"


def _crowded_evening(restaurant):
    """Two couples on the 4-tops and a five on the terrace; a four waits in review. Moving one couple to
    the 2-top seats the four."""
    a = seat(restaurant, ["M2"], party_size=2, start="19:00")
    seat(restaurant, ["M3"], party_size=2, start="19:00")
    seat(restaurant, ["T1"], party_size=5, start="19:00")
    waiting = in_review(restaurant, party_size=4, start="19:00")
    return a, waiting


def test_a_run_before_service_applies_a_better_plan_and_records_it(restaurant):
    a, waiting = _crowded_evening(restaurant)
    schedule = OptimizerSchedule.objects.create(
        restaurant=restaurant, run_at=time(15, 0), time_limit_seconds=5
    )
    [run_id] = optimizer_runs_start_due(now=local("15:00"))

    run = optimizer_run_execute(run_id=run_id, now=at("15:00"))

    assert run.status == "applied" and run.applied and run.improvement > 0.1 and run.finished_at
    assert (run.covers_before, run.covers_after, run.newly_seated) == (9, 13, 1) and run.moved >= 1
    assert run.moves and all(m["from"] != m["to"] for m in run.moves.values())
    waiting.refresh_from_db()
    assert waiting.state == "confirmed" and tables_of(waiting)
    assert metrics.OPTIMIZER_GAIN.labels(restaurant.slug)._value.get() == pytest.approx(run.improvement)
    assert schedule.runs.get() == run


def test_inside_the_freeze_window_nothing_moves(restaurant):
    a, waiting = _crowded_evening(restaurant)
    OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(18, 30), time_limit_seconds=5)
    [run_id] = optimizer_runs_start_due(now=local("18:30"))

    run = optimizer_run_execute(run_id=run_id, now=at("18:30"))

    assert run.frozen >= 3 and run.moved == 0 and not run.applied
    assert tables_of(a) == ("M2",)
    waiting.refresh_from_db()
    assert waiting.state == "manual_review"


def test_the_admin_shows_the_runs(restaurant, admin_client):
    _crowded_evening(restaurant)
    OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(15, 0), time_limit_seconds=5)
    [run_id] = optimizer_runs_start_due(now=local("15:00"))
    optimizer_run_execute(run_id=run_id, now=at("15:00"))
    page = admin_client.get("/admin/optimization/optimizerrun/").content.decode()
    assert "applied" in page and "9 → 13" in page and "+" in page
