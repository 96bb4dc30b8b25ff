"""Scheduled optimizer runs: which slots are due, claiming each once, running it and recording the result."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from assignments import metrics
from optimization.models import OptimizerRun, OptimizerSchedule

logger = logging.getLogger("maitre.optimizer")
CATCH_UP = timedelta(minutes=30)  # a slot missed (scheduler down) still runs if we are this close after it


def optimizer_runs_start_due(*, now: datetime | None = None) -> list[int]:
    """Claim every schedule slot that is due now (local time of its restaurant, within CATCH_UP after the
    slot) and has not run today; returns the new run ids and wakes a worker for each once committed."""
    now = now or timezone.now()
    started = []
    for schedule in OptimizerSchedule.objects.filter(is_active=True).select_related("restaurant"):
        local = now.astimezone(schedule.restaurant.tzinfo)
        slot = datetime.combine(local.date(), schedule.run_at, tzinfo=local.tzinfo)
        if not slot <= local < slot + CATCH_UP:
            continue
        try:
            with transaction.atomic():
                run = OptimizerRun.objects.create(
                    restaurant=schedule.restaurant, schedule=schedule, day=local.date()
                )
        except IntegrityError:  # already ran (or is running) for this slot today
            continue
        started.append(run.pk)
    if started:
        from optimization.jobs import run_optimizer

        transaction.on_commit(lambda: [run_optimizer.send(run_id=pk) for pk in started])
    return started


def optimizer_run_execute(*, run_id: int, now: datetime | None = None) -> OptimizerRun:
    """Run the day optimizer for a claimed run (never moving bookings inside the freeze window) and
    record what it found, applied or not, in the run and as metrics."""
    from optimization.day_optimizer import day_optimize

    run = OptimizerRun.objects.select_related("restaurant", "schedule").get(pk=run_id)
    time_limit = run.schedule.time_limit_seconds if run.schedule else 30.0
    try:
        result = day_optimize(restaurant=run.restaurant, day=run.day, now=now, time_limit=time_limit)
    except Exception as exc:
        logger.exception("optimizer run %s failed", run_id)
        run.status, run.reason, run.finished_at = (
            "error",
            f"{type(exc).__name__}: {exc}"[:2000],
            timezone.now(),
        )
        run.save()
        metrics.OPTIMIZER_RUNS.labels("error").inc()
        raise
    run.status, run.reason, run.applied = result.status, result.reason, result.applied
    run.improvement = result.improvement if math.isfinite(result.improvement) else None
    run.covers_before, run.covers_after = result.covers_before, result.covers_after
    run.moved, run.newly_seated, run.frozen = result.moved, result.newly_seated, result.frozen
    run.moves = {str(b): {"from": list(f), "to": list(t)} for b, (f, t) in result.moves.items()}
    run.correlation_id, run.finished_at = result.correlation_id, timezone.now()
    run.save()
    metrics.OPTIMIZER_RUNS.labels(result.status).inc()
    metrics.OPTIMIZER_GAIN.labels(run.restaurant.slug).set(run.improvement or 0.0)
    return run
