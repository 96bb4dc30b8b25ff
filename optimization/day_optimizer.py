"""The day optimizer: re-plan a day's tables and apply the new plan safely.

**The day's score** (what "better" means) is in `optimization.scoring`. A confirmed booking
is always seated in both plans; a new plan scores better by seating bookings from manual review (or
waiting for assignment) and by seating everyone more snugly. It is applied only when
`new >= current x (1 + min_improvement)`.

Frozen bookings (started, or starting within `freeze_minutes` of `now`) keep their tables; bookings in
review that are frozen are left to staff. Allocations the plan does not own (holds, bookings of other
days, bookings being re-planned by the coordinator) stay where they are.

Applying is one transaction: the affected bookings are locked in primary-key order, each booking's
version and state (and a moved booking's tables) must be what the plan was computed from, else nothing
is written. Moved bookings get new allocations (the exclusion constraint is the final guard), an
attempt row and a `booking.tables_changed` outbox event; they change no state, so they get no history
row. Newly seated bookings are confirmed through the lifecycle (history + `booking.confirmed`).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from assignments import lifecycle
from assignments.conf import maitre_settings
from assignments.lifecycle import Actor
from assignments.locks import booking_lock
from assignments.models import Restaurant
from assignments.reseating import PlanStale
from assignments.services.allocations import AllocationConflict
from assignments.services.freed import OPTIMIZED, tables_freed_on_commit
from optimization.applying import plan_changes_apply
from optimization.scoring import day_score, restaurant_weights
from optimization.selectors import DayState, day_plan_current
from optimization.solver.model import plan_cost, solve_day_plan

logger = logging.getLogger("maitre.optimization")

DAY_OPTIMIZER = "day_optimizer"
OPTIMIZER = Actor(DAY_OPTIMIZER)


@dataclass
class DayPlan:
    """A computed plan, and what it was computed from (versions and states, to re-check when applying)."""

    state: DayState
    now: datetime
    frozen: set[str]
    solver_status: str
    seconds: float
    covers_bound: float  # no plan seats more covers than this (proven by the solver)
    assignment: dict[str, tuple[str, ...]]
    moves: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # booking -> (from, to)
    seated: dict[str, tuple[str, ...]]  # optional booking -> its new tables
    covers_before: int
    covers_after: int
    score_before: float
    score_after: float

    @property
    def improvement(self) -> float:
        if self.score_before <= 0:
            return float("inf") if self.score_after > self.score_before else 0.0
        return self.score_after / self.score_before - 1


@dataclass
class OptimizationResult:
    status: str  # applied, dry_run, below_threshold, unchanged, aborted, no_solution
    reason: str
    applied: bool
    solver_status: str
    covers_before: int
    covers_after: int
    score_before: float
    score_after: float
    improvement: float
    moved: int
    newly_seated: int
    frozen: int
    bookings: int
    optional: int
    seconds: float  # solver
    total_seconds: float
    covers_bound: float = float("nan")
    correlation_id: str = ""
    moves: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    seated: dict[int, tuple[str, ...]] = field(default_factory=dict)


def _settings_or(value, key):
    return getattr(maitre_settings, key) if value is None else value


def day_plan_compute(
    *,
    restaurant: Restaurant,
    day: date,
    now: datetime | None = None,
    freeze_minutes: int | None = None,
    include_optional: bool = True,
    time_limit: float = 10.0,
) -> DayPlan:
    """Solve the day (no writes). Frozen confirmed bookings are pinned; frozen optional ones are left out."""
    now = now or timezone.now()
    freeze = int(_settings_or(freeze_minutes, "OPTIMIZATION_FREEZE_MINUTES"))
    state = day_plan_current(restaurant=restaurant, day=day, include_optional=include_optional)
    cutoff = state.minute(now) + freeze
    frozen = {bid for bid in state.current if state.requests[bid].start < cutoff}
    left_out = {bid for bid in state.optional if state.requests[bid].start < cutoff}
    fixed = {bid: state.current[bid] for bid in frozen} | dict(state.blockers)
    # A confirmed booking on tables the floor no longer offers as a plan shape keeps them.
    for bid, tables in state.current.items():
        r = state.requests[bid]
        if bid not in fixed and tables not in {
            c.tables for c in state.floor.candidates_for(r.party_size, r.accessible)
        }:
            fixed[bid] = tables
    requests = [r for bid, r in sorted(state.requests.items()) if bid not in left_out]
    weights = restaurant_weights(restaurant)
    solution = solve_day_plan(
        state.floor,
        requests,
        fixed=fixed,
        current=state.current,
        optional=state.optional - left_out,
        cost=lambda r, tables: (
            plan_cost(state.floor, r, tables, weights) if r.booking_id in state.bookings else 0.0
        ),
        time_limit=time_limit,
        num_workers=1,
    )
    covers_before, score_before = day_score(state, state.current, weights)
    if solution.solved:
        assignment = {bid: t for bid, t in solution.assignment.items() if bid in state.bookings}
        covers_after, score_after = day_score(state, assignment, weights)
    else:
        assignment, covers_after, score_after = dict(state.current), covers_before, score_before
    moves = {
        bid: (state.current[bid], assignment[bid])
        for bid in state.current
        if bid in assignment and assignment[bid] != state.current[bid]
    }
    seated = {bid: assignment[bid] for bid in state.optional if bid in assignment}
    return DayPlan(
        state=state,
        now=now,
        frozen=frozen,
        solver_status=solution.status,
        seconds=solution.seconds,
        covers_bound=solution.bound,
        assignment=assignment,
        moves=moves,
        seated=seated,
        covers_before=covers_before,
        covers_after=covers_after,
        score_before=score_before,
        score_after=score_after,
    )


def day_plan_apply(*, plan: DayPlan, actor: Actor = OPTIMIZER, correlation_id: str = "") -> None:
    """Write `plan` in one transaction, or raise PlanStale / AllocationConflict and write nothing."""
    handles = []
    try:
        # The coordinator may be working on a booking we are about to seat: take its lock, never wait.
        for bid in sorted(plan.seated, key=int):
            handle = booking_lock(int(bid), wait=0)
            handles.append(handle)
            if not handle.acquired:
                raise PlanStale(f"booking {bid} is being processed ({handle.status})")
        with transaction.atomic():
            plan_changes_apply(
                state=plan.state,
                moves=plan.moves,
                seat=plan.seated,
                confirm=True,
                strategy=DAY_OPTIMIZER,
                actor=actor,
                correlation_id=correlation_id,
            )
            if plan.moves:  # the old tables of the moved bookings are free: the floor may heal itself
                tables_freed_on_commit(
                    restaurant_id=plan.state.restaurant.pk,
                    service_date=plan.state.day,
                    reason=OPTIMIZED,
                    cause=f"the day optimizer moving {len(plan.moves)} booking(s)",
                )
    finally:
        for handle in handles:
            handle.release()


def day_optimize(
    *,
    restaurant: Restaurant,
    day: date,
    now: datetime | None = None,
    freeze_minutes: int | None = None,
    min_improvement: float | None = None,
    time_limit: float = 10.0,
    apply: bool = True,
    include_optional: bool = True,
    actor: Actor = OPTIMIZER,
    correlation_id: str = "",
) -> OptimizationResult:
    """Re-plan the day and apply the new plan when it scores at least `min_improvement` better."""
    started = time.perf_counter()
    threshold = float(_settings_or(min_improvement, "OPTIMIZATION_MIN_IMPROVEMENT"))
    correlation_id = correlation_id or f"opt-{uuid.uuid4().hex[:12]}"
    plan = day_plan_compute(
        restaurant=restaurant,
        day=day,
        now=now,
        freeze_minutes=freeze_minutes,
        include_optional=include_optional,
        time_limit=time_limit,
    )
    better = (
        plan.score_after >= plan.score_before * (1 + threshold)
        if plan.score_before > 0
        else (plan.score_after > plan.score_before)
    )
    changed = bool(plan.moves or plan.seated)
    if plan.solver_status not in ("OPTIMAL", "FEASIBLE"):
        status, reason = "no_solution", f"the solver found no plan ({plan.solver_status})"
    elif not changed:
        status, reason = "unchanged", "the current plan is already as good"
    elif not better:
        status, reason = (
            "below_threshold",
            (f"improvement {plan.improvement:+.1%} is below the {threshold:.0%} required"),
        )
    elif not apply:
        status, reason = "dry_run", f"improvement {plan.improvement:+.1%} would be applied (dry run)"
    else:
        try:
            day_plan_apply(plan=plan, actor=actor, correlation_id=correlation_id)
            status, reason = "applied", f"improvement {plan.improvement:+.1%} >= {threshold:.0%}"
        except (PlanStale, lifecycle.VersionConflict) as exc:
            status, reason = "aborted", f"stale plan: {exc}"
        except AllocationConflict as exc:
            status, reason = "aborted", f"allocation conflict: {exc}"
    result = OptimizationResult(
        status=status,
        reason=reason,
        applied=status == "applied",
        solver_status=plan.solver_status,
        covers_before=plan.covers_before,
        covers_after=plan.covers_after,
        score_before=plan.score_before,
        score_after=plan.score_after,
        improvement=plan.improvement,
        moved=len(plan.moves),
        newly_seated=len(plan.seated),
        frozen=len(plan.frozen),
        bookings=len(plan.state.current),
        optional=len(plan.state.optional),
        seconds=plan.seconds,
        total_seconds=round(time.perf_counter() - started, 3),
        covers_bound=plan.covers_bound,
        correlation_id=correlation_id,
        moves={int(b): m for b, m in plan.moves.items()},
        seated={int(b): t for b, t in plan.seated.items()},
    )
    logger.info(
        "day optimizer %s %s: %s (%s), covers %s -> %s, moved %s, seated %s",
        restaurant.slug,
        day,
        status,
        reason,
        result.covers_before,
        result.covers_after,
        result.moved,
        result.newly_seated,
        extra={"correlation_id": correlation_id},
    )
    return result
