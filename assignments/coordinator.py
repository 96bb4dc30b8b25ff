"""The assignment coordinator: takes one booking from assignment_pending to confirmed or manual_review.

rate limit (per restaurant) → circuit breaker → lock(booking) → reload and re-check the state →
context → engine (or the legacy assigner) → for each ranked plan, one transaction: allocations under the
exclusion constraint + confirm with the version check + attempt rows + outbox event; a conflict moves
to the next plan → no plan left: retry with backoff, and after the restaurant's maximum, manual review.
Every path ends in confirmed, manual_review, cancelled/failed, or a scheduled retry; the lock is always
released.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pybreaker
from django.conf import settings
from django.db import DatabaseError, transaction

from assignments import flags, lifecycle, metrics
from assignments.context import AssignmentContext, assignment_context, engine_for
from assignments.engine import Decision, Plan, first_fit
from assignments.lifecycle import Actor
from assignments.locks import LockStatus, booking_lock
from assignments.models import AttemptResult, Booking, BookingAssignmentAttempt, BookingState
from assignments.resilience import InfrastructureFailure, assignment_breaker, restaurant_rate_limiter
from assignments.services.allocations import AllocationConflict, allocations_create, allocations_release

logger = logging.getLogger("maitre.coordinator")
COORDINATOR = Actor("coordinator")
LEGACY = "legacy_first_fit"
KEEP = "keep_current"
RESEAT = "reseat"


class Status:
    CONFIRMED = "confirmed"
    MANUAL_REVIEW = "manual_review"
    RETRY_SCHEDULED = "retry_scheduled"
    SKIPPED = "skipped"  # nothing to do (already done, not ours to do)
    FAILED = "failed"  # cancelled while we processed it


@dataclass
class Outcome:
    status: str
    booking_id: int
    reason: str = ""
    tables: tuple[str, ...] = ()
    strategy: str = ""
    delay_ms: int | None = None
    plans_tried: int = 0
    extra: dict = field(default_factory=dict)


Scheduler = Callable[..., None]


def _send_retry(
    *, booking_id: int, trigger: str, correlation_id: str, retry_no: int, delay_ms: int, restaurant_id: int | None = None
) -> None:
    from assignments.tasks import retry_booking

    retry_booking.send_with_options(
        kwargs={"booking_id": booking_id, "trigger": "retry" if trigger != "modification" else trigger,
                "correlation_id": correlation_id, "retry_no": retry_no, "restaurant_id": restaurant_id},
        delay=delay_ms,
    )


def backoff_ms(retry_no: int) -> int:
    cfg = settings.MAITRE
    return int(min(cfg["RETRY_MAX_DELAY_MS"], cfg["RETRY_BASE_DELAY_MS"] * (2 ** max(0, retry_no - 1))))


def process_booking(
    *,
    booking_id: int,
    trigger: str = "creation",
    correlation_id: str = "",
    retry_no: int = 0,
    schedule: Scheduler | None = None,
    restaurant_id: int | None = None,
) -> Outcome:
    """Process one booking. `schedule` sends a delayed retry (default: the Dramatiq actor); `restaurant_id`
    (carried by the message) keys the rate limit without a query."""
    if schedule is None:
        schedule = _send_retry

    def retry(reason: str, delay_ms: int | None = None) -> Outcome:
        delay = backoff_ms(retry_no + 1) if delay_ms is None else delay_ms
        schedule(booking_id=booking_id, trigger=trigger, correlation_id=correlation_id, retry_no=retry_no + 1,
                 delay_ms=delay, restaurant_id=restaurant_id)
        logger.info("booking %s: retry in %sms (%s)", booking_id, delay, reason, extra={"correlation_id": correlation_id})
        return Outcome(Status.RETRY_SCHEDULED, booking_id, reason=reason, delay_ms=delay)

    if restaurant_id is None:
        restaurant_id = Booking.objects.filter(pk=booking_id).values_list("restaurant_id", flat=True).first()
        if restaurant_id is None:
            return Outcome(Status.SKIPPED, booking_id, reason="unknown booking")

    with restaurant_rate_limiter(restaurant_id).acquire(raise_on_failure=False) as allowed:
        if not allowed:
            return retry("rate limited", settings.MAITRE["RATE_LIMIT_WINDOW_MS"])

    breaker = assignment_breaker()
    try:
        return breaker.call(_process_locked, booking_id, trigger, correlation_id, retry, schedule)
    except pybreaker.CircuitBreakerError:
        return retry("circuit breaker open", int(settings.MAITRE["BREAKER_RESET_SECONDS"] * 1000))
    except InfrastructureFailure as exc:
        return retry(str(exc))


def _process_locked(booking_id, trigger, correlation_id, retry, schedule) -> Outcome:
    handle = booking_lock(booking_id)
    if handle.status is LockStatus.UNAVAILABLE:
        raise InfrastructureFailure("lock store unavailable")
    if handle.status is LockStatus.CONTENDED:
        # Another worker has it now; come back shortly: the state re-check then makes a duplicate a no-op.
        return retry("lock held by another worker", settings.MAITRE["RETRY_BASE_DELAY_MS"])
    with handle:
        try:
            return _assign(booking_id, trigger, correlation_id, schedule)
        except DatabaseError as exc:
            raise InfrastructureFailure(f"database error: {exc.__class__.__name__}") from exc


def _assign(booking_id: int, trigger: str, correlation_id: str, schedule: Scheduler) -> Outcome:
    started = time.perf_counter()
    ctx = assignment_context(booking_id=booking_id)
    booking = ctx.booking
    if booking.state == BookingState.CANCELLED:
        _record(booking, booking.assignment_attempts, [("coordinator", AttemptResult.SKIPPED, "cancelled while queued", {})],
                correlation_id)
        lifecycle.booking_record_failure(booking=booking, reason="cancelled before assignment", correlation_id=correlation_id)
        return Outcome(Status.FAILED, booking_id, reason="cancelled")
    if booking.state != BookingState.ASSIGNMENT_PENDING:
        # Already confirmed (a duplicate message), in review (staff has it) or not submitted: nothing to do.
        return Outcome(Status.SKIPPED, booking_id, reason=f"state is {booking.state}")

    mode = flags.pipeline_mode()
    attempt_no = booking.assignment_attempts + 1
    rows: list[tuple[str, str, str, dict]] = []
    decision: Decision | None = None
    if mode is flags.PipelineMode.ENGINE or mode is flags.PipelineMode.SHADOW:
        engine = engine_for(restaurant=ctx.restaurant, floor=ctx.floor)
        t0 = time.perf_counter()
        decision = engine.decide(ctx.request, ctx.occupancy)
        metrics.ENGINE_DECISION_SECONDS.observe(time.perf_counter() - t0)

    if mode is flags.PipelineMode.ENGINE:
        plans = _preferred_first(ctx, list(decision.plans))
        outcomes = decision.outcomes
    else:
        legacy = first_fit(ctx.floor, ctx.request, ctx.occupancy)
        plans = [Plan(legacy.tables, LEGACY, legacy.score, legacy.breakdown, legacy.reason)] if legacy else []
        outcomes = ()
        if decision is not None:  # shadow: what the engine would have done, beside what legacy does
            best = decision.best
            rows.append(("engine", AttemptResult.SHADOW,
                         f"engine would choose {', '.join(best.tables)} ({best.strategy})" if best else "engine found no plan",
                         {"tables": list(best.tables) if best else [], "strategy": best.strategy if best else "",
                          "legacy_tables": list(plans[0].tables) if plans else [],
                          "agrees": bool(best and plans and best.tables == plans[0].tables)}))

    tried = 0
    for plan in plans:
        tried += 1
        try:
            with transaction.atomic():
                _confirm_plan(ctx, plan, attempt_no, outcomes, rows, correlation_id)
        except AllocationConflict as exc:
            rows.append((plan.strategy, AttemptResult.CONFLICT, str(exc), {"tables": list(plan.tables)}))
            metrics.ASSIGNMENT_OUTCOMES.labels(plan.strategy, AttemptResult.CONFLICT).inc()
            continue
        except lifecycle.VersionConflict:
            booking.refresh_from_db()
            if booking.state == BookingState.CANCELLED:
                rows.append((plan.strategy, AttemptResult.FAILURE, "cancelled mid-process", {"tables": list(plan.tables)}))
                _record(booking, attempt_no, rows, correlation_id)
                lifecycle.booking_record_failure(booking=booking, reason="cancelled mid-process",
                                                 correlation_id=correlation_id)
                return Outcome(Status.FAILED, booking_id, reason="cancelled mid-process", plans_tried=tried)
            return Outcome(Status.SKIPPED, booking_id, reason=f"changed concurrently; now {booking.state}", plans_tried=tried)
        metrics.BOOKINGS_FINISHED.labels(BookingState.CONFIRMED).inc()
        metrics.BOOKING_TO_CONFIRMED_SECONDS.observe(time.perf_counter() - started)
        return Outcome(Status.CONFIRMED, booking_id, tables=plan.tables, strategy=plan.strategy, plans_tried=tried)

    # No plan could be applied.
    reason = "no free plan" if not plans else f"all {len(plans)} plan(s) taken concurrently"
    hopeless = not plans and not ctx.floor.candidates_for(ctx.request.party_size, ctx.request.accessible)
    if hopeless:
        reason = (f"no table or combination on this floor seats {ctx.request.party_size}"
                  f"{' with step-free access' if ctx.request.accessible else ''}")
    for o in outcomes:
        rows.append((o.strategy, AttemptResult.NO_PLAN, o.reason, {}))
    if not outcomes:
        rows.append((LEGACY if mode is not flags.PipelineMode.ENGINE else "engine", AttemptResult.NO_PLAN, reason, {}))
    max_attempts = ctx.restaurant.max_assignment_attempts
    conflicted = bool(plans)  # plans existed but were taken: worth an immediate, counted retry
    if attempt_no >= max_attempts and not hopeless and mode is flags.PipelineMode.ENGINE and settings.MAITRE["RESEAT"]:
        reseated = _try_reseat(ctx, attempt_no, rows, correlation_id)
        if reseated is not None:
            return reseated
    with transaction.atomic():
        _record(booking, attempt_no, rows, correlation_id)
        if attempt_no >= max_attempts or hopeless:
            lifecycle.booking_send_to_review(
                booking=booking, reason=f"{reason} after {attempt_no} attempt(s)", actor=COORDINATOR,
                correlation_id=correlation_id, attempts=attempt_no,
                metadata={"party_size": booking.party_size, "attempts": attempt_no},
            )
            metrics.BOOKINGS_FINISHED.labels(BookingState.MANUAL_REVIEW).inc()
            outcome = Outcome(Status.MANUAL_REVIEW, booking_id, reason=reason, plans_tried=tried)
        else:
            Booking.objects.filter(pk=booking.pk).update(assignment_attempts=attempt_no)
            delay = settings.MAITRE["RETRY_BASE_DELAY_MS"] // 10 if conflicted else backoff_ms(attempt_no)
            transaction.on_commit(lambda: schedule(
                booking_id=booking_id, trigger=trigger, correlation_id=correlation_id, retry_no=attempt_no,
                delay_ms=delay, restaurant_id=ctx.restaurant.pk,
            ))
            outcome = Outcome(Status.RETRY_SCHEDULED, booking_id, reason=reason, delay_ms=delay, plans_tried=tried)
    return outcome


def _try_reseat(ctx: AssignmentContext, attempt_no: int, rows: list, correlation_id: str) -> Outcome | None:
    """Last resort before manual review: move not-yet-started bookings (fewest moves, none about to start)
    so that this one fits, in one transaction with its confirmation."""
    from optimization.services import PlanStale, reseat_apply, reseat_compute

    plan = reseat_compute(booking=ctx.booking, time_limit=settings.MAITRE["RESEAT_TIME_LIMIT_SECONDS"])
    if plan is None:
        rows.append((RESEAT, AttemptResult.NO_PLAN, "no re-arrangement of later bookings seats it", {}))
        return None
    seat = Plan(tuple(sorted(plan.tables)), RESEAT, 0.0, {}, f"re-seated {len(plan.moves)} other booking(s)")
    try:
        with transaction.atomic():
            reseat_apply(plan=plan, actor=COORDINATOR, correlation_id=correlation_id)
            _confirm_plan(ctx, seat, attempt_no, (), rows, correlation_id)
    except (PlanStale, AllocationConflict, lifecycle.VersionConflict) as exc:
        rows.append((RESEAT, AttemptResult.CONFLICT, f"re-seat went stale: {exc}", {}))
        return None
    metrics.BOOKINGS_FINISHED.labels(BookingState.CONFIRMED).inc()
    return Outcome(Status.CONFIRMED, ctx.booking.pk, tables=seat.tables, strategy=RESEAT,
                   extra={"moved": sorted(plan.moves)})


def _preferred_first(ctx: AssignmentContext, plans: list[Plan]) -> list[Plan]:
    """A modified booking keeps its tables, and a held booking takes its held tables, when they still fit."""
    for keep, why in ((ctx.current_tables, "keeps its current tables"), (ctx.held_tables, "takes its held tables")):
        if not keep:
            continue
        valid = any(c.tables == keep for c in ctx.floor.candidates_for(ctx.request.party_size, ctx.request.accessible))
        if valid and all(ctx.occupancy.is_free(t, ctx.request.start, ctx.request.end) for t in keep):
            same = [p for p in plans if p.tables == keep]
            kept = same[0] if same else Plan(keep, KEEP, 0.0, {}, why)
            return [kept, *[p for p in plans if p.tables != keep]]
    return plans


def _confirm_plan(ctx: AssignmentContext, plan: Plan, attempt_no: int, outcomes: Sequence, rows: list, correlation_id: str):
    booking = ctx.booking
    start_at, end_at = ctx.window
    if ctx.held_tables:
        from assignments.services.holds import holds_release_for_booking

        holds_release_for_booking(booking=booking)
    if ctx.current_tables:
        allocations_release(booking=booking)
    allocations_create(tables=[ctx.tables_by_label[t] for t in plan.tables], start_at=start_at, end_at=end_at,
                       booking=booking)
    lifecycle.booking_confirm(
        booking=booking, tables=list(plan.tables), strategy=plan.strategy, expected_version=booking.version,
        actor=COORDINATOR, correlation_id=correlation_id, attempts=attempt_no,
        metadata={"score": plan.score, "attempt_no": attempt_no},
    )
    final = list(rows)
    for o in outcomes:
        chosen = o.plan is not None and o.plan.tables == plan.tables
        final.append((
            o.strategy,
            AttemptResult.SUCCESS if chosen else (AttemptResult.FAILURE if o.plan else AttemptResult.NO_PLAN),
            o.reason,
            {"tables": list(o.plan.tables), "score": o.plan.score, "breakdown": dict(o.plan.breakdown)} if o.plan else {},
        ))
    if not outcomes or plan.strategy in (KEEP, LEGACY, RESEAT):
        final.append((plan.strategy, AttemptResult.SUCCESS, plan.reason, {"tables": list(plan.tables)}))
    _record(booking, attempt_no, final, correlation_id)


def _record(booking: Booking, attempt_no: int, rows: Sequence[tuple[str, str, str, dict]], correlation_id: str) -> None:
    BookingAssignmentAttempt.objects.bulk_create([
        BookingAssignmentAttempt(booking_id=booking.pk, attempt_no=attempt_no, strategy=s, result=r, reason=why[:2000],
                                 metadata=m, correlation_id=correlation_id)
        for s, r, why, m in rows
    ])
    for s, r, _, _ in rows:
        metrics.ASSIGNMENT_OUTCOMES.labels(s, r).inc()
