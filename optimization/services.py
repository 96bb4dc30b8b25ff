"""The day optimizer and the re-seat service: re-plan a day's tables and apply the new plan safely.

**The day's score** (what "better" means): covers seated minus a tenth of the plan cost,

    score = covers seated - QUALITY_WEIGHT x plan cost
    plan cost = sum over seated bookings of the engine's time-independent terms with the restaurant's
                weights: empty_seat x empty seats + extra_table x (tables - 1)
                + zone_mismatch x [not in the wished zone] + zone_priority x zone rank

so one cover outweighs ten units of cost (twenty empty seats at the default weights). A confirmed booking
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from assignments import lifecycle
from assignments.context import DAY_SPAN, engine_for, floor_state, request_for, to_minutes
from assignments.engine import Floor, Request, Weights
from assignments.lifecycle import Actor
from assignments.locks import booking_lock
from assignments.models import (
    AttemptResult,
    Booking,
    BookingState,
    Restaurant,
    Table,
    TableAllocation,
)
from assignments.services import seating
from assignments.services.allocations import AllocationConflict, allocations_release
from assignments.services.freed import OPTIMIZED, tables_freed_on_commit
from assignments.services.seating import booking_seat
from optimization.model import plan_cost, solve_day_plan
from optimization.reseat import moves as plan_moves
from optimization.reseat import reseat_pays_off, reseat_plan

logger = logging.getLogger("maitre.optimization")

DAY_OPTIMIZER = "day_optimizer"
RESEAT = "reseat"
TABLES_CHANGED = seating.TABLES_CHANGED
QUALITY_WEIGHT = 0.1
OPTIMIZER = Actor(DAY_OPTIMIZER)
RESEATER = Actor(RESEAT)
OPTIONAL_STATES = (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING)


class PlanStale(Exception):
    """What the plan was computed from changed before it could be applied; nothing was written."""


# -- the day as it is ---------------------------------------------------------------------------------


@dataclass
class DayState:
    """The engine's view of one service day. Ids in the maps are the engine's booking ids (str(pk))."""

    restaurant: Restaurant
    day: date
    floor: Floor
    tables_by_label: dict[str, Table]
    bookings: dict[str, Booking]  # confirmed (seated) and optional ones
    requests: dict[str, Request]  # every booking above, plus the blockers
    current: dict[str, tuple[str, ...]]  # confirmed booking -> its tables now
    optional: set[str] = field(default_factory=set)  # review / pending bookings holding no tables
    blockers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # allocations not ours to move
    unseated_confirmed: list[int] = field(default_factory=list)  # confirmed but holding no table (data issue)

    def minute(self, moment: datetime) -> int:
        return to_minutes(self.restaurant, self.day, moment)


def _day_bookings(*, restaurant: Restaurant, day: date, states: Iterable[str]) -> list[Booking]:
    midnight = restaurant.local_midnight(day)
    qs = (
        Booking.objects.filter(
            restaurant=restaurant, start_at__gte=midnight, start_at__lt=midnight + DAY_SPAN, state__in=list(states)
        )
        .select_related("preferred_zone")
        .order_by("pk")
    )
    return [b for b in qs if restaurant.service_day_of(b.start_at) == day]


def day_plan_current(
    *, restaurant: Restaurant, day: date, include_optional: bool = True, exclude_booking_id: int | None = None
) -> DayState:
    """The confirmed bookings of the service day with their current tables, as engine requests (three
    queries, plus two when the floor changed): plus, with `include_optional`, the day's bookings in
    review or waiting for assignment that hold no tables, and every other live allocation overlapping
    the day as a blocker. `exclude_booking_id`'s own allocations and holds are ignored (it is being
    re-planned)."""
    fs = floor_state(restaurant=restaurant)
    states = [BookingState.CONFIRMED, *(OPTIONAL_STATES if include_optional else ())]
    bookings = {str(b.pk): b for b in _day_bookings(restaurant=restaurant, day=day, states=states)}
    midnight = restaurant.local_midnight(day)
    rows = list(
        TableAllocation.objects.filter(restaurant=restaurant, start_at__lt=midnight + DAY_SPAN, end_at__gt=midnight)
        .filter(Q(hold__isnull=True) | Q(hold__expires_at__gt=timezone.now()))  # bookings, table blocks, live holds
        .values_list("table__label", "booking_id", "hold_id", "hold__booking_id", "start_at", "end_at", "block_id")
        .order_by("booking_id", "hold_id", "block_id", "table__label")
    )
    tables_of: dict[str, list[str]] = {}
    blocker_rows: dict[str, list[tuple[str, datetime, datetime]]] = {}
    for label, booking_id, hold_id, hold_booking_id, start_at, end_at, block_id in rows:
        if exclude_booking_id is not None and exclude_booking_id in (booking_id, hold_booking_id):
            continue
        key = str(booking_id) if booking_id else None
        if key in bookings and bookings[key].state == BookingState.CONFIRMED:
            tables_of.setdefault(key, []).append(label)
        else:
            owner = f"b{booking_id}" if booking_id else f"h{hold_id}" if hold_id else f"k{block_id}"
            blocker_rows.setdefault(owner, []).append((label, start_at, end_at))
    state = DayState(
        restaurant=restaurant, day=day, floor=fs.floor, tables_by_label=fs.tables_by_label, bookings={},
        requests={}, current={},
    )
    holding = {o[1:] for o in blocker_rows if o.startswith("b")}
    for key, b in bookings.items():
        if b.pk == exclude_booking_id:
            continue
        if b.state == BookingState.CONFIRMED:
            if key not in tables_of:
                state.unseated_confirmed.append(b.pk)
                continue
            state.current[key] = tuple(sorted(tables_of[key]))
        elif key in holding:
            continue  # it still holds tables (a modification in flight): the coordinator's, not ours
        else:
            state.optional.add(key)
        state.bookings[key] = b
        state.requests[key] = request_for(booking=b, restaurant=restaurant, day=day)
    # A blocker is pinned where it is: one pseudo-request per owner and window, seating nobody.
    for owner, items in blocker_rows.items():
        windows: dict[tuple[datetime, datetime], list[str]] = {}
        for label, start_at, end_at in items:
            windows.setdefault((start_at, end_at), []).append(label)
        for i, ((start_at, end_at), labels) in enumerate(sorted(windows.items())):
            key = f"x:{owner}:{i}"
            state.requests[key] = Request(key, 0, state.minute(start_at), state.minute(end_at))
            state.blockers[key] = tuple(sorted(labels))
    return state


def _weights(restaurant: Restaurant) -> Weights:
    return Weights.from_mapping({k: v for k, v in (restaurant.scoring_weights or {}).items() if k != "demand"})


def day_score(state: DayState, assignment: Mapping[str, Iterable[str]], weights: Weights | None = None) -> tuple[int, float]:
    """(covers seated, score) of a plan for the day's bookings (see the module docstring)."""
    weights = weights or _weights(state.restaurant)
    covers, cost = 0, 0.0
    for bid, tables in assignment.items():
        if bid not in state.bookings:
            continue
        r = state.requests[bid]
        covers += r.party_size
        cost += plan_cost(state.floor, r, tuple(tables), weights)
    return covers, round(covers - QUALITY_WEIGHT * cost, 3)


# -- the day optimizer -----------------------------------------------------------------------------------


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
    return settings.MAITRE[key] if value is None else value


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
        if bid not in fixed and tables not in {c.tables for c in state.floor.candidates_for(r.party_size, r.accessible)}:
            fixed[bid] = tables
    requests = [r for bid, r in sorted(state.requests.items()) if bid not in left_out]
    weights = _weights(restaurant)
    solution = solve_day_plan(
        state.floor, requests, fixed=fixed, current=state.current, optional=state.optional - left_out,
        cost=lambda r, tables: plan_cost(state.floor, r, tables, weights) if r.booking_id in state.bookings else 0.0,
        time_limit=time_limit, num_workers=1,
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
        state=state, now=now, frozen=frozen, solver_status=solution.status, seconds=solution.seconds,
        covers_bound=solution.bound, assignment=assignment, moves=moves, seated=seated,
        covers_before=covers_before, covers_after=covers_after,
        score_before=score_before, score_after=score_after,
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
            _apply_changes(
                state=plan.state, moves=plan.moves, seat=plan.seated, confirm=True, strategy=DAY_OPTIMIZER,
                actor=actor, correlation_id=correlation_id,
            )
            if plan.moves:  # the old tables of the moved bookings are free: the floor may heal itself
                tables_freed_on_commit(restaurant_id=plan.state.restaurant.pk, service_date=plan.state.day,
                                       reason=OPTIMIZED, cause=f"the day optimizer moving {len(plan.moves)} booking(s)")
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
        restaurant=restaurant, day=day, now=now, freeze_minutes=freeze_minutes, include_optional=include_optional,
        time_limit=time_limit,
    )
    better = plan.score_after >= plan.score_before * (1 + threshold) if plan.score_before > 0 else (
        plan.score_after > plan.score_before
    )
    changed = bool(plan.moves or plan.seated)
    if plan.solver_status not in ("OPTIMAL", "FEASIBLE"):
        status, reason = "no_solution", f"the solver found no plan ({plan.solver_status})"
    elif not changed:
        status, reason = "unchanged", "the current plan is already as good"
    elif not better:
        status, reason = "below_threshold", (
            f"improvement {plan.improvement:+.1%} is below the {threshold:.0%} required"
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
        status=status, reason=reason, applied=status == "applied", solver_status=plan.solver_status,
        covers_before=plan.covers_before, covers_after=plan.covers_after, score_before=plan.score_before,
        score_after=plan.score_after, improvement=plan.improvement, moved=len(plan.moves),
        newly_seated=len(plan.seated), frozen=len(plan.frozen), bookings=len(plan.state.current),
        optional=len(plan.state.optional), seconds=plan.seconds,
        total_seconds=round(time.perf_counter() - started, 3), covers_bound=plan.covers_bound, correlation_id=correlation_id,
        moves={int(b): m for b, m in plan.moves.items()}, seated={int(b): t for b, t in plan.seated.items()},
    )
    logger.info(
        "day optimizer %s %s: %s (%s), covers %s -> %s, moved %s, seated %s",
        restaurant.slug, day, status, reason, result.covers_before, result.covers_after, result.moved,
        result.newly_seated, extra={"correlation_id": correlation_id},
    )
    return result


# -- applying moves (shared by the day optimizer and re-seating) -----------------------------------------


def _apply_changes(
    *,
    state: DayState,
    moves: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]],
    seat: Mapping[str, tuple[str, ...]],
    confirm: bool,
    strategy: str,
    actor: Actor,
    correlation_id: str,
    also_check: Iterable[str] = (),
) -> dict[int, Booking]:
    """Inside the caller's transaction: lock, re-check, re-allocate, confirm, record. Raises PlanStale."""
    planned = {bid: state.bookings[bid] for bid in {*moves, *seat, *also_check}}
    ids = sorted(int(bid) for bid in planned)
    locked = {b.pk: b for b in Booking.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for pk in ids:
        before, now_ = planned[str(pk)], locked.get(pk)
        if now_ is None or now_.version != before.version or now_.state != before.state:
            raise PlanStale(f"booking {pk} changed since the plan was made")
    held: dict[int, set[str]] = {}
    for booking_id, label in TableAllocation.objects.filter(booking_id__in=ids).values_list("booking_id", "table__label"):
        held.setdefault(booking_id, set()).add(label)
    for bid, (old, _new) in moves.items():
        if held.get(int(bid), set()) != set(old):
            raise PlanStale(f"booking {bid}'s tables changed since the plan was made")
    for bid in seat:
        if held.get(int(bid)):
            raise PlanStale(f"booking {bid} holds tables since the plan was made")
    for pk in sorted(int(b) for b in moves):  # all movers let go first, so that two may swap tables
        allocations_release(booking=locked[pk])
    buffer = timedelta(minutes=state.restaurant.buffer_minutes)
    targets = {**{b: new for b, (_old, new) in moves.items()}, **dict(seat)}
    by = strategy.replace("_", " ")
    for pk in sorted(int(b) for b in targets):
        b, bid = locked[pk], str(pk)
        if bid in moves:
            old, new = moves[bid]
            row = (strategy, AttemptResult.SUCCESS, f"moved from {', '.join(old)} to {', '.join(new)} by the {by}",
                   {"from_tables": list(old), "tables": list(new), "move": True})
        else:
            new = seat[bid]
            if not confirm:  # the caller seats it (re-seating) in the same transaction
                continue
            row = (strategy, AttemptResult.SUCCESS, f"seated at {', '.join(new)} by the {by}",
                   {"tables": list(new), "move": False})
        booking_seat(
            booking=b, tables=[state.tables_by_label[t] for t in new], window=(b.start_at, b.end_at + buffer),
            strategy=strategy, actor=actor, correlation_id=correlation_id, attempt_rows=[row],
            expected_version=planned[bid].version,
            metadata={"from_tables": list(moves[bid][0]), "strategy": strategy} if bid in moves else {"by": strategy},
        )
    return locked


# -- re-seating one booking ------------------------------------------------------------------------------


@dataclass
class ReseatPlan:
    """Room for `booking`: the moves of other bookings that make it, and the booking's tables."""

    booking: Booking
    tables: tuple[str, ...]
    moves: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    frozen: set[str]
    state: DayState
    seconds: float


def reseat_compute(
    *,
    booking: Booking,
    now: datetime | None = None,
    freeze_minutes: int | None = None,
    time_limit: float = 2.0,
    payoff_margin: float | None = None,
) -> ReseatPlan | None:
    """The fewest moves of not-yet-frozen confirmed bookings of the booking's day that seat it too (no
    writes), or None. Holds and other bookings' allocations never move. With `payoff_margin`, None also when
    admitting the party costs more expected later covers than it brings (`reseat_pays_off`): the pipeline's
    rule; a host asking for a proposal gets one regardless."""
    started = time.perf_counter()
    now = now or timezone.now()
    freeze = int(_settings_or(freeze_minutes, "OPTIMIZATION_FREEZE_MINUTES"))
    restaurant = booking.restaurant
    day = restaurant.service_day_of(booking.start_at)
    state = day_plan_current(restaurant=restaurant, day=day, include_optional=False, exclude_booking_id=booking.pk)
    new_request = request_for(booking=booking, restaurant=restaurant, day=day)
    cutoff = state.minute(now) + freeze
    frozen = {bid for bid in state.current if state.requests[bid].start < cutoff} | set(state.blockers)
    accepted = {**state.current, **state.blockers}
    plan = reseat_plan(
        state.floor, accepted, state.requests, new_request, frozen=frozen, time_limit=time_limit, num_workers=1
    )
    if plan is None:
        return None
    changed = plan_moves(accepted, plan)
    if set(changed) & frozen:  # reseat_plan never does this; the rule is worth a second look
        return None
    if payoff_margin is not None:
        engine = engine_for(restaurant=restaurant, floor=state.floor)
        if not reseat_pays_off(engine, accepted, state.requests, new_request, plan, margin=payoff_margin):
            logger.info("re-seat for booking %s declined: it costs more later covers than it brings", booking.pk)
            return None
    return ReseatPlan(
        booking=booking, tables=plan[new_request.booking_id],
        moves={bid: (state.current[bid], new) for bid, new in changed.items()}, frozen=frozen, state=state,
        seconds=round(time.perf_counter() - started, 3),
    )


def reseat_apply(*, plan: ReseatPlan, actor: Actor = RESEATER, correlation_id: str = "") -> tuple[str, ...]:
    """Move the plan's bookings and return the tables for `plan.booking`, which is NOT allocated nor
    confirmed: the caller does both in the same transaction. Must run inside transaction.atomic; raises
    PlanStale or AllocationConflict (roll back)."""
    if not connection.in_atomic_block:
        raise RuntimeError("reseat_apply must run inside transaction.atomic()")
    target = str(plan.booking.pk)
    plan.state.bookings.setdefault(target, plan.booking)
    _apply_changes(
        state=plan.state, moves=plan.moves, seat={}, confirm=False, strategy=RESEAT, actor=actor,
        correlation_id=correlation_id, also_check=[target],
    )
    return plan.tables


def booking_reseat_for(
    *,
    booking: Booking,
    now: datetime | None = None,
    freeze_minutes: int | None = None,
    time_limit: float = 2.0,
    correlation_id: str = "",
) -> list[str] | None:
    """Make room for a booking that got no plan: compute and apply the fewest moves (in a transaction,
    or a savepoint of the caller's), and return its tables, without allocating or confirming it. None
    when no re-arrangement seats it or the world changed meanwhile (nothing written)."""
    plan = reseat_compute(booking=booking, now=now, freeze_minutes=freeze_minutes, time_limit=time_limit)
    if plan is None:
        return None
    try:
        with transaction.atomic():
            return list(reseat_apply(plan=plan, correlation_id=correlation_id))
    except (PlanStale, AllocationConflict, lifecycle.VersionConflict) as exc:
        logger.info("reseat for booking %s given up: %s", booking.pk, exc, extra={"correlation_id": correlation_id})
        return None
