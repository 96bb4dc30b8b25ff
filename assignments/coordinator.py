"""The assignment coordinator: decides the due bookings of one restaurant service day, in arrival order.

Postgres is the queue of record: a booking in assignment_pending whose `due_at` has passed is work. A
worker that is woken (a message is only a hint) or that sweeps takes the restaurant day:

  Redis lock (efficiency; skipped while Redis is away) -> Postgres advisory lock (correctness) ->
  rate limit -> circuit breaker -> claim up to BATCH_SIZE due bookings (FOR UPDATE SKIP LOCKED) ->
  one in-memory occupancy, the engine booking by booking, each seat added before the next decision ->
  one transaction through the seating service: allocations under the exclusion constraint, version-checked
  confirms, history, attempts, outbox -> next batch, until nothing is due.

A booking with no free plan is due again after a backoff; after the restaurant's maximum attempts (or at
once when no plan on the floor could ever seat it) it goes to manual review, after one try at re-seating
later bookings to make room. A booking on a day the restaurant closed after it was made, or outside hours changed
since, goes to review at once, with the reason ("closed on Fri 25 Dec 2026 (Christmas Day)", "21:30 is outside
the service hours (dinner 18:00-21:00); the hours of Saturdays changed"). Every path ends in confirmed, manual_review,
cancelled or a later due time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pybreaker
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from redis.exceptions import RedisError

from assignments import flags, metrics
from assignments.conf import maitre_settings
from assignments.context import engine_for, floor_state, occupancy_for_day, request_for
from assignments.engine import Plan, first_fit
from assignments.engine.reasons import explain_no_plan
from assignments.lifecycle import Actor, VersionConflict
from assignments.locks import LockStatus, restaurant_day_lock
from assignments.models import (
    AttemptResult,
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    Restaurant,
    TableAllocation,
)
from assignments.resilience import (
    InfrastructureFailure,
    assignment_breaker,
    redis_failed,
    redis_usable,
    restaurant_rate_limiter,
)
from assignments.selectors.pacing import day_pacing_ledger
from assignments.selectors.reference import day_reference_plans
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.services.heal import count_outcomes, healing_cause, review_reason, seated_note
from assignments.services.seating import (
    AttemptRow,
    Retry,
    Review,
    Seat,
    attempts_record,
    backoff_ms,
    bookings_apply_batch,
)

logger = logging.getLogger("maitre.coordinator")
COORDINATOR = Actor("coordinator")
LEGACY = "legacy_first_fit"
CONFLICT_CAP = 2  # past 2 x the restaurant's attempts (only conflicts get there), a booking goes to review
KEEP = "keep_current"
RESEAT = "reseat"
RESEAT_LEASE = timedelta(seconds=60)
RESEAT_STALE_TRIES = 3
# One call of assign_due starts no pass and no re-seat search after this many seconds: a search runs two CP-SAT
# solves of at most RESEAT_TIME_LIMIT_SECONDS each, so the call ends well inside the actor's time limit (120 s) and
# hands the sweep thread back. Re-seat candidates it did not reach are made due at once (not left leased), so the
# next sweep, of this worker or another, goes on with them.
ASSIGN_DUE_BUDGET_SECONDS = 60.0
_monotonic = time.monotonic  # the budget's clock (tests move it)
NO_FREE_PLAN = "no free plan"


class Status:
    CONFIRMED = "confirmed"
    MANUAL_REVIEW = "manual_review"
    RETRY_SCHEDULED = "retry_scheduled"
    SKIPPED = "skipped"  # nothing to do (not due, already done, not ours to do)
    RESEAT_QUEUED = "reseat_queued"  # handed to the worker's re-seat thread, leased meanwhile
    BUSY = "busy"  # another worker has this restaurant day right now


@dataclass
class Outcome:
    status: str
    booking_id: int
    reason: str = ""
    tables: tuple[str, ...] = ()
    strategy: str = ""
    delay_ms: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReseatJob:
    """One booking's re-seat search, run after the day is let go (`job()`), inline or on a worker's re-seat
    thread. Its batch leased the booking meanwhile: due at `leased_until`, so no other worker takes it."""

    booking_id: int
    attempt_no: int
    rows: list[AttemptRow]
    correlation_id: str
    reason: str
    leased_until: datetime

    def __call__(self) -> Outcome:
        return _reseat_or_review(
            self.booking_id, self.attempt_no, self.rows, self.correlation_id, self.reason
        )


def reseats_release(*, jobs: Iterable[ReseatJob]) -> int:
    """Give back the leases of re-seat searches that will not be started here (over the pass's budget, or queued
    on a worker that is stopping): their bookings are due at once, with the same attempt count, and the next
    sweep of any worker goes on with them instead of waiting out RESEAT_LEASE. A lease that is no longer the one
    the batch wrote (the search started, or the booking moved on) is left alone. Returns how many."""
    leases = Q()
    for job in jobs:
        leases |= Q(pk=job.booking_id, due_at=job.leased_until)
    if not leases:
        return 0
    return Booking.objects.filter(leases, state=BookingState.ASSIGNMENT_PENDING).update(due_at=timezone.now())


def process_booking(*, booking_id: int) -> Outcome:
    """Decide the restaurant day that `booking_id` belongs to now, and say what became of this booking."""
    row = Booking.objects.filter(pk=booking_id).values("restaurant_id", "service_date").first()
    if row is None:
        return Outcome(Status.SKIPPED, booking_id, reason="unknown booking")
    outcomes = assign_due(restaurant_id=row["restaurant_id"], service_date=row["service_date"])
    if outcomes is None:
        return Outcome(Status.BUSY, booking_id, reason="another worker has this restaurant day")
    for outcome in outcomes:
        if outcome.booking_id == booking_id:
            return outcome
    state = Booking.objects.filter(pk=booking_id).values_list("state", flat=True).first()
    return Outcome(Status.SKIPPED, booking_id, reason=f"not due; state is {state}")


_last_call = threading.local()  # what this thread's last assign_due came to, for pass_outcome


def assign_due(*, restaurant_id: int, service_date: date | None) -> list[Outcome] | None:
    """Decide every due booking of one restaurant service day. None when another worker holds it (it goes on
    until nothing is due, and looks once more after letting go, so a wake-up that met it is never lost), and
    also when the database failed under the pass (its bookings stay due; `pass_outcome` tells the two apart)."""
    _last_call.failed = False
    outcomes: list[Outcome] = []
    deadline = _monotonic() + ASSIGN_DUE_BUDGET_SECONDS
    for _ in range(50):  # bounded: a day that stays due without progress is left to the next sweep
        got = _pass(restaurant_id, service_date, deadline)
        if got is None:
            return outcomes or None
        outcomes.extend(got)
        if not got or not due_exists(restaurant_id=restaurant_id, service_date=service_date):
            break
        if _monotonic() > deadline:
            logger.info(
                "restaurant %s day %s: %.0f s spent, the rest is left to the next sweep",
                restaurant_id,
                service_date,
                ASSIGN_DUE_BUDGET_SECONDS,
            )
            break
    return outcomes


def pass_outcome(outcomes: list[Outcome] | None) -> str:
    """What this thread's last `assign_due` (which returned `outcomes`) came to, for the wake-up and sweep
    counters: decided (bookings), nothing_due (another path got there first), busy (another worker had the
    day, or the rate limit or the breaker said not now), failed (the database failed under the pass)."""
    if outcomes:
        return "decided"
    if getattr(_last_call, "failed", False):
        return "failed"
    return "busy" if outcomes is None else "nothing_due"


def due_exists(*, restaurant_id: int, service_date: date | None) -> bool:
    return Booking.objects.filter(
        restaurant_id=restaurant_id,
        service_date=service_date,
        state=BookingState.ASSIGNMENT_PENDING,
        due_at__lte=timezone.now(),
    ).exists()


def due_restaurant_days(*, limit: int = 100) -> list[tuple[int, date | None]]:
    """The restaurant days with due work, most overdue first (the sweeper's list): one grouped query."""
    rows = (
        Booking.objects.filter(state=BookingState.ASSIGNMENT_PENDING, due_at__lte=timezone.now())
        .values("restaurant_id", "service_date")
        .annotate(first_due=Min("due_at"))
        .order_by("first_due")[:limit]
    )
    return [(r["restaurant_id"], r["service_date"]) for r in rows]


def _pass(restaurant_id: int, service_date: date | None, deadline: float) -> list[Outcome] | None:
    # The lock store is Redis (or in-process when embedded); while Redis is away the database lock alone serves.
    handle = (
        restaurant_day_lock(restaurant_id, service_date) if redis_usable() or not settings.REDIS_URL else None
    )
    if handle is not None and handle.status is LockStatus.CONTENDED:
        return None
    if handle is not None and handle.status is LockStatus.UNAVAILABLE:
        redis_failed()
        handle = None
    try:
        try:
            try:
                result = assignment_breaker().call(_pass_locked, restaurant_id, service_date, handle)
            except RedisError:  # the breaker's shared state went away under it: this process's own, once
                redis_failed()
                result = assignment_breaker().call(_pass_locked, restaurant_id, service_date, handle)
        except pybreaker.CircuitBreakerError:
            logger.warning("breaker open: restaurant %s day %s left due", restaurant_id, service_date)
            return None
        except InfrastructureFailure as exc:
            logger.warning("restaurant %s day %s left due: %s", restaurant_id, service_date, exc)
            _last_call.failed = True
            return None
    finally:
        if handle is not None:
            handle.release()
    if result is None:
        return None
    outcomes, reseats = result
    # Re-seating solves (CP-SAT, up to RESEAT_TIME_LIMIT_SECONDS each) run after the day is let go, so that
    # fresh bookings of the day are never kept waiting behind them; each is checked optimistically (the
    # moved bookings' versions and tables, the exclusion constraint) and leased by its due time meanwhile.
    # A worker process hands them to its re-seat thread (reseats_hand_to), which frees this thread for the
    # next wake-up; each is then in the list as queued (the pass did work: assign_due looks again).
    lane = _reseat_lane
    if lane is not None:
        for job in reseats:
            metrics.RESEATS_HANDED_OFF.inc()
            lane(job)
            outcomes.append(Outcome(Status.RESEAT_QUEUED, job.booking_id, reason="re-seat search queued"))
        return outcomes
    for i, job in enumerate(reseats):
        if i > 0 and _monotonic() > deadline:  # at least one per pass, so a slow day still moves
            left = reseats[i:]
            reseats_release(jobs=left)
            logger.info(
                "restaurant %s day %s: %d re-seat searches left to the next sweep (over %.0f s)",
                restaurant_id,
                service_date,
                len(left),
                ASSIGN_DUE_BUDGET_SECONDS,
            )
            break
        try:
            outcomes.append(job())
        except Exception:  # its lease runs out and it is tried again; the others go on
            logger.exception("re-seat of booking %s failed", job.booking_id)
    return outcomes


_reseat_lane: Callable[[ReseatJob], None] | None = None


def reseats_hand_to(lane: Callable[[ReseatJob], None] | None) -> None:
    """Where this process's re-seat solves run: `lane(job)` queues each one (a worker's ReseatLane.submit);
    None (the default: tests, the embedded worker, commands) runs them on the deciding thread, after the day is
    let go, and returns their outcomes with the others."""
    global _reseat_lane
    _reseat_lane = lane


def _rate_allowed(restaurant_id: int) -> bool:
    """One token per batch (a pipeline transaction) of the restaurant."""
    if settings.REDIS_URL and not redis_usable():
        return True  # the limiter lives in Redis; without it the database still guards everything
    try:
        with restaurant_rate_limiter(restaurant_id).acquire(raise_on_failure=False) as allowed:
            return bool(allowed)
    except Exception as exc:  # Redis away: let the work through, note it
        logger.warning("rate limiter unavailable: %s", exc)
        redis_failed()
        return True


def _pass_locked(restaurant_id: int, service_date: date | None, handle):
    """(outcomes, re-seat candidates) for one pass over the day, or None when another worker has it or the
    rate limit says not now. Each batch is one transaction that holds the day's advisory lock."""
    outcomes: list[Outcome] = []
    reseats: list[ReseatJob] = []
    batch = maitre_settings.BATCH_SIZE
    first = True
    try:
        while True:
            got = _batch(restaurant_id, service_date, batch) if _rate_allowed(restaurant_id) else None
            if got is None:  # rate limited, or another worker has the day (it decides what is left)
                return None if first else (outcomes, reseats)
            first = False
            decided, claimed, candidates = got
            outcomes.extend(decided)
            reseats.extend(candidates)
            if handle is not None:
                handle.extend(maitre_settings.LOCK_TTL_SECONDS)
            if claimed < batch:
                break
    except DatabaseError as exc:
        raise InfrastructureFailure(f"database error: {exc.__class__.__name__}: {exc}") from exc
    return outcomes, reseats


def _lock_key(restaurant_id: int, service_date: date | None) -> tuple[int, int]:
    return int(restaurant_id) & 0x7FFFFFFF, service_date.toordinal() if service_date else 0


def _db_lock(restaurant_id: int, service_date: date | None) -> bool:
    """Postgres: an advisory lock on the restaurant day for the current transaction, so two workers never
    decide one floor at once even without Redis, and no lock can outlive its transaction. SQLite
    (embedded): one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _lock_key(restaurant_id, service_date))
        return bool(cur.fetchone()[0])


def restaurant_day_lock_wait(*, restaurant_id: int, service_date: date | None) -> None:
    """Take the same Postgres advisory lock as a pipeline batch, waiting for it, for the current transaction:
    a writer outside the pipeline (a walk-in) that decides on the day's floor cannot race a batch."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", _lock_key(restaurant_id, service_date))


@dataclass
class _Decided:
    kind: str  # "seat", "retry", "review", "reseat"
    plan: Plan | None = None
    reason: str = ""
    rows: list[AttemptRow] = field(default_factory=list)


def _batch(restaurant_id: int, service_date: date | None, size: int):
    """Claim, decide and write one batch in one transaction. Returns (outcomes, claimed, reseat candidates)."""
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    reseats: list[ReseatJob] = []
    with transaction.atomic():
        if not _db_lock(restaurant_id, service_date):
            return None
        now = timezone.now()
        claimed = list(
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("preferred_zone")
            .filter(
                restaurant_id=restaurant_id,
                service_date=service_date,
                state=BookingState.ASSIGNMENT_PENDING,
                due_at__lte=now,
            )
            .order_by(F("arrival").asc(nulls_last=True), "id")[:size]
        )
        if not claimed:
            return [], 0, []
        restaurant = Restaurant.objects.get(pk=restaurant_id)
        for b in claimed:
            b.restaurant = restaurant
        fstate = floor_state(restaurant=restaurant)
        day = service_date or restaurant.service_day_of(claimed[0].start_at)
        occupancy, alloc_rows = occupancy_for_day(restaurant=restaurant, day=day, floor=fstate.floor, now=now)
        pacing = day_pacing_ledger(restaurant=restaurant, day=day, alloc_rows=alloc_rows)  # None: no limits
        schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
        requested_at = {b.pk: b.updated_at for b in claimed}  # the request (or modification) time
        current, held, owns = _own_tables([b.pk for b in claimed], now)
        hold_refs: dict[int, set[str]] = {}
        for r in alloc_rows:
            if r["hold__booking_id"] in owns:
                hold_refs.setdefault(r["hold__booking_id"], set()).add(f"h{r['hold_id']}")
        mode = flags.pipeline_mode()
        engine = (
            engine_for(restaurant=restaurant, floor=fstate.floor, day=day)
            if mode is not flags.PipelineMode.LEGACY
            else None
        )
        references = (  # the day's reference layout (engine/reference.py), the engine's tie-breaker
            day_reference_plans(
                restaurant=restaurant, day=day, floor=fstate.floor, booking_ids=[b.pk for b in claimed]
            )
            if engine is not None and engine.weights.follows_reference and not schedule.closed
            else {}
        )
        seats: list[Seat] = []
        reviews: list[Review] = []
        retries: list[Retry] = []
        healed: dict[int, str] = {}
        for booking in claimed:
            attempt_no = booking.assignment_attempts + 1
            heal = healing_cause(booking)  # brought back from review by freed tables: one try, then review
            if heal:
                healed[booking.pk] = heal
            request = request_for(booking=booking, restaurant=restaurant, day=day)
            own = [f"b{booking.pk}", *sorted(hold_refs.get(booking.pk, ()))]
            saved = [
                (ref, occupancy.tables_of(ref), _span(occupancy, ref)) for ref in own if ref in occupancy
            ]
            for ref, _, _ in saved:
                occupancy.remove(ref)
            cur = current.get(booking.pk, ())
            hld = held.get(booking.pk, ())
            paced = pacing.remove(f"b{booking.pk}") if pacing is not None else None
            # the hours and pacing count by the wall clock (pacing's ledger does too), the occupancy by elapsed time
            start_wall = restaurant.minute_of_day(booking.start_at, day)
            refusal = pacing.refusal(start_wall, booking.party_size) if pacing is not None else None
            # the day was closed, its hours changed, or the time zone moved it, since it was made: a person calls
            outside = schedule.outside_reason(start_wall, moved_by=restaurant.zone_moved(booking.created_at))
            if outside is not None:
                decided = _Decided(
                    "review",
                    reason=outside,
                    rows=[AttemptRow("schedule", AttemptResult.NO_PLAN, outside, {})],
                )
            elif attempt_no > CONFLICT_CAP * restaurant.max_assignment_attempts:
                # every plan it got was taken by another writer at the commit: the floor as read and the tables as
                # written disagree (a bug, or a writer that never lets go). Retrying cannot end it: a person decides.
                why = f"its tables were taken by another writer at each of its last tries ({attempt_no - 1} in all)"
                decided = _Decided(
                    "review", reason=why, rows=[AttemptRow("conflict", AttemptResult.NO_PLAN, why, {})]
                )
            elif (
                heal and mode is not flags.PipelineMode.ENGINE
            ):  # the kill switch came on since: a person decides
                decided = _Decided("review", reason=f"not seated automatically in {mode.value} mode")
            elif (
                refusal is not None
            ):  # the kitchen's pacing, counted in memory like the occupancy: review, why
                decided = _Decided(
                    "review", reason=refusal, rows=[AttemptRow("pacing", AttemptResult.NO_PLAN, refusal, {})]
                )
            else:
                decided = _decide(
                    engine,
                    mode,
                    fstate.floor,
                    request,
                    occupancy,
                    cur,
                    hld,
                    references.get(booking.pk),
                    explain=attempt_no >= restaurant.max_assignment_attempts or bool(heal),
                )
            correlation_id = booking.last_correlation_id
            if decided.kind == "seat":
                plan = decided.plan
                assert plan is not None  # a "seat" decision carries its plan
                occupancy.add(plan.tables, request.start, request.end, f"b{booking.pk}")
                if pacing is not None:
                    pacing.add(f"b{booking.pk}", start_wall, booking.party_size)
                seats.append(
                    Seat(
                        booking=booking,
                        tables=tuple(fstate.tables_by_label[t] for t in plan.tables),
                        window=restaurant.occupied_window(booking.start_at, booking.end_at),
                        strategy=plan.strategy,
                        attempt_no=attempt_no,
                        rows=decided.rows,
                        correlation_id=correlation_id,
                        metadata={"score": plan.score, **(seated_note(heal) if heal else {})},
                        releases=booking.pk in owns,
                    )
                )
                outcomes.append(
                    Outcome(Status.CONFIRMED, booking.pk, tables=plan.tables, strategy=plan.strategy)
                )
                continue
            last = attempt_no >= restaurant.max_assignment_attempts or bool(heal)
            reseat = mode is flags.PipelineMode.ENGINE and maitre_settings.RESEAT and not heal
            reviewed = decided.kind == "review" or (last and not reseat)
            for ref, tables, (start, end) in saved:
                # not seated: it keeps what it had for now, except the tables that review releases
                if not (reviewed and ref.startswith("b")):
                    occupancy.add(tables, start, end, ref)
            if pacing is not None and paced is not None and not reviewed:  # still seated where it was: counts
                pacing.add(f"b{booking.pk}", *paced)
            if decided.kind == "review" or last:
                if decided.kind != "review" and reseat:
                    # leased while its re-seat is tried outside the lock; due again if this worker dies
                    lease = now + RESEAT_LEASE
                    reseats.append(
                        ReseatJob(booking.pk, attempt_no, decided.rows, correlation_id, decided.reason, lease)
                    )
                    retries.append(Retry(booking, lease, attempt_no - 1, [], correlation_id))
                    continue
                reason = (
                    f"{decided.reason} after {attempt_no} attempt(s)"
                    if decided.kind != "review"
                    else decided.reason
                )
                if heal:
                    reason = review_reason(heal, decided.reason)
                reviews.append(Review(booking, reason, attempt_no, decided.rows, correlation_id))
                outcomes.append(Outcome(Status.MANUAL_REVIEW, booking.pk, reason=reason))
            else:
                delay = backoff_ms(attempt_no)
                retries.append(
                    Retry(
                        booking, now + timedelta(milliseconds=delay), attempt_no, decided.rows, correlation_id
                    )
                )
                outcomes.append(
                    Outcome(Status.RETRY_SCHEDULED, booking.pk, reason=decided.reason, delay_ms=delay)
                )
        result = bookings_apply_batch(seats=seats, reviews=reviews, retries=retries, actor=COORDINATOR)
    lost = {s.booking.pk for s in result.conflicted}
    if healed:
        count_outcomes(
            seated=sum(1 for s in result.seated if s.booking.pk in healed),
            back_to_review=sum(1 for r in reviews if r.booking.pk in healed),
        )
    if lost:
        outcomes = [
            Outcome(Status.RETRY_SCHEDULED, o.booking_id, reason="tables taken meanwhile", delay_ms=0)
            if o.booking_id in lost
            else o
            for o in outcomes
        ]
    elapsed = time.perf_counter() - started
    for o in outcomes:
        if o.status == Status.CONFIRMED:
            metrics.BOOKINGS_FINISHED.labels(BookingState.CONFIRMED).inc()
        elif o.status == Status.MANUAL_REVIEW:
            metrics.BOOKINGS_FINISHED.labels(BookingState.MANUAL_REVIEW).inc()
    done = timezone.now()
    for seat in result.seated:
        metrics.BOOKING_TO_CONFIRMED_SECONDS.observe(
            max(0.0, (done - requested_at[seat.booking.pk]).total_seconds())
        )
    metrics.BATCH_SIZE.observe(len(claimed))
    logger.info(
        "restaurant %s day %s: %s booking(s) decided in %.1f ms",
        restaurant_id,
        service_date,
        len(claimed),
        elapsed * 1000,
    )
    return outcomes, len(claimed), reseats


def _own_tables(booking_ids: list[int], now) -> tuple[dict, dict, set[int]]:
    """The tables each booking holds now, on any day (a modification may have moved it to another day), and
    the tables its live holds keep for it; plus which bookings own anything that must give way."""
    current: dict[int, tuple[str, ...]] = {}
    held: dict[int, tuple[str, ...]] = {}
    owns: set[int] = set()
    rows = TableAllocation.objects.filter(
        Q(booking_id__in=booking_ids) | Q(hold__booking_id__in=booking_ids)
    ).values_list("booking_id", "hold__booking_id", "hold__expires_at", "table__label")
    for booking_id, hold_booking_id, expires_at, label in rows:
        if booking_id is not None:
            current[booking_id] = tuple(sorted((*current.get(booking_id, ()), label)))
            owns.add(booking_id)
        elif hold_booking_id is not None:
            owns.add(hold_booking_id)
            if expires_at > now:
                held[hold_booking_id] = tuple(sorted((*held.get(hold_booking_id, ()), label)))
    return current, held, owns


def _span(occupancy, ref: str) -> tuple[int, int]:
    table = occupancy.tables_of(ref)[0]
    for start, end, r in occupancy.intervals(table):
        if r == ref:
            return start, end
    raise KeyError(ref)


def _decide(
    engine, mode, floor, request, occupancy, current, held, reference=None, *, explain: bool = True
) -> _Decided:
    """The engine's (or legacy's) decision and its attempt rows. `explain`: a booking with no plan gets the
    sentence a host reads (explain_no_plan); without it (an attempt that is not the last, whose rows carry each
    strategy's own reason) its outcome just says "no free plan": in an oversubscribed evening those retries are
    most of the decisions, and the sentence was a third of a batch's CPU, read by no one."""
    rows: list[AttemptRow] = []
    decision = None
    if engine is not None:
        t0 = time.perf_counter()
        decision = engine.decide(request, occupancy, reference=reference)
        metrics.ENGINE_DECISION_SECONDS.observe(time.perf_counter() - t0)
    if mode is flags.PipelineMode.ENGINE:
        assert decision is not None  # the engine mode always has an engine
        plans = _preferred_first(floor, request, occupancy, list(decision.plans), current, held)
        outcomes = decision.outcomes
    else:
        legacy = first_fit(floor, request, occupancy)
        plans = [Plan(legacy.tables, LEGACY, legacy.score, legacy.breakdown, legacy.reason)] if legacy else []
        outcomes = ()
        if decision is not None:  # shadow: what the engine would have done, beside what legacy does
            best = decision.best
            rows.append(
                AttemptRow(
                    "engine",
                    AttemptResult.SHADOW,
                    f"engine would choose {', '.join(best.tables)} ({best.strategy})"
                    if best
                    else "engine found no plan",
                    {
                        "tables": list(best.tables) if best else [],
                        "strategy": best.strategy if best else "",
                        "legacy_tables": list(plans[0].tables) if plans else [],
                        "agrees": bool(best and plans and best.tables == plans[0].tables),
                    },
                )
            )
    if not plans and decision is not None and decision.refusal and mode is flags.PipelineMode.ENGINE:
        # The restaurant's capacity protection (opt-in) turned a free plan down: review at once, with why.
        rows.append(AttemptRow("capacity_protection", AttemptResult.NO_PLAN, decision.refusal, {}))
        return _Decided("review", reason=decision.refusal, rows=rows)
    if plans:
        plan = plans[0]
        for o in outcomes:
            chosen = o.plan is not None and o.plan.tables == plan.tables
            rows.append(
                AttemptRow(
                    o.strategy,
                    AttemptResult.SUCCESS
                    if chosen
                    else (AttemptResult.FAILURE if o.plan else AttemptResult.NO_PLAN),
                    o.reason,
                    {
                        "tables": list(o.plan.tables),
                        "score": o.plan.score,
                        "breakdown": dict(o.plan.breakdown),
                    }
                    if o.plan
                    else {},
                )
            )
        if not outcomes or plan.strategy in (KEEP, LEGACY):
            rows.append(
                AttemptRow(plan.strategy, AttemptResult.SUCCESS, plan.reason, {"tables": list(plan.tables)})
            )
        return _Decided("seat", plan=plan, rows=rows)
    hopeless = not floor.candidates_for(request.party_size, request.accessible)
    if hopeless:
        reason = (
            f"no table or combination on this floor seats {request.party_size}"
            f"{' with step-free access' if request.accessible else ''}"
        )
    elif explain or not outcomes:
        reason = explain_no_plan(floor, request, occupancy)  # what a host reads first in the queue
    else:
        reason = NO_FREE_PLAN
    for o in outcomes:
        rows.append(AttemptRow(o.strategy, AttemptResult.NO_PLAN, o.reason, {}))
    if not outcomes:
        rows.append(
            AttemptRow(
                LEGACY if mode is not flags.PipelineMode.ENGINE else "engine",
                AttemptResult.NO_PLAN,
                reason,
                {},
            )
        )
    return _Decided("review" if hopeless else "retry", reason=reason, rows=rows)


def _preferred_first(floor, request, occupancy, plans: list[Plan], current, held) -> list[Plan]:
    """A modified booking keeps its tables, and a held booking takes its held tables, when they still fit."""
    for keep, why in ((current, "keeps its current tables"), (held, "takes its held tables")):
        if not keep:
            continue
        valid = any(c.tables == keep for c in floor.candidates_for(request.party_size, request.accessible))
        if valid and all(occupancy.is_free(t, request.start, request.end) for t in keep):
            same = [p for p in plans if p.tables == keep]
            kept = same[0] if same else Plan(keep, KEEP, 0.0, {}, why)
            return [kept, *[p for p in plans if p.tables != keep]]
    return plans


def _reseat_or_review(
    booking_id: int, attempt_no: int, rows: list[AttemptRow], correlation_id: str, reason: str
) -> Outcome:
    """Last resort before manual review, outside the day's lock: move not-yet-started bookings (fewest moves,
    none about to start) so that this one fits, in one transaction with its seat. A plan that went stale
    (another writer got there first) makes the booking due again, a bounded number of times. Sent to review,
    it reads the engine's `reason` (why no plan was free), as without re-seating."""
    from assignments.reseating import PlanStale, reseat_apply, reseat_compute, reseater_installed
    from assignments.services.allocations import AllocationConflict
    from assignments.services.seating import booking_seat, booking_send_to_review

    leased = Booking.objects.filter(pk=booking_id, state=BookingState.ASSIGNMENT_PENDING).update(
        due_at=timezone.now() + RESEAT_LEASE
    )
    if not leased:
        return Outcome(Status.SKIPPED, booking_id, reason="no longer waiting")
    booking = Booking.objects.select_related("restaurant").get(pk=booking_id)
    rows = list(rows)
    plan = reseat_compute(
        booking=booking,
        time_limit=maitre_settings.RESEAT_TIME_LIMIT_SECONDS,
        payoff_margin=maitre_settings.RESEAT_PAYOFF_MARGIN,
    )
    if plan is not None:
        try:
            with transaction.atomic():
                tables = reseat_apply(plan=plan, actor=COORDINATOR, correlation_id=correlation_id)
                booking_seat(
                    booking=booking,
                    tables=plan.table_objects(tables),
                    window=booking.restaurant.occupied_window(booking.start_at, booking.end_at),
                    strategy=RESEAT,
                    actor=COORDINATOR,
                    correlation_id=correlation_id,
                    attempt_no=attempt_no,
                    attempt_rows=[
                        *rows,
                        AttemptRow(
                            RESEAT,
                            AttemptResult.SUCCESS,
                            f"re-seated {len(plan.moves)} other booking(s)",
                            {"tables": list(tables)},
                        ),
                    ],
                    expected_version=booking.version,
                )
            metrics.BOOKINGS_FINISHED.labels(BookingState.CONFIRMED).inc()
            metrics.BOOKING_TO_CONFIRMED_SECONDS.observe(
                max(0.0, (timezone.now() - booking.updated_at).total_seconds())
            )
            return Outcome(
                Status.CONFIRMED,
                booking_id,
                tables=tuple(sorted(tables)),
                strategy=RESEAT,
                extra={"moved": sorted(plan.moves)},
            )
        except (PlanStale, AllocationConflict, VersionConflict) as exc:
            stale = AttemptRow(RESEAT, AttemptResult.CONFLICT, f"re-seat went stale: {exc}", {})
            tries = BookingAssignmentAttempt.objects.filter(
                booking_id=booking_id, strategy=RESEAT, result=AttemptResult.CONFLICT
            ).count()
            if tries + 1 < RESEAT_STALE_TRIES:
                with transaction.atomic():
                    attempts_record(
                        booking_id=booking_id,
                        attempt_no=attempt_no,
                        rows=[*rows, stale],
                        correlation_id=correlation_id,
                    )
                    Booking.objects.filter(pk=booking_id, state=BookingState.ASSIGNMENT_PENDING).update(
                        due_at=timezone.now()
                    )
                return Outcome(Status.RETRY_SCHEDULED, booking_id, reason="re-seat went stale", delay_ms=0)
            rows.append(stale)
    elif reseater_installed():
        rows.append(
            AttemptRow(
                RESEAT,
                AttemptResult.NO_PLAN,
                "no re-arrangement of later bookings seats it and surely brings more covers than it costs later",
                {},
            )
        )
    reason = f"{reason or 'no free plan'} after {attempt_no} attempt(s)"
    try:
        booking_send_to_review(
            booking=booking,
            reason=reason,
            actor=COORDINATOR,
            correlation_id=correlation_id,
            attempt_no=attempt_no,
            attempt_rows=rows,
            expected_version=booking.version,
        )
    except VersionConflict:
        return Outcome(Status.SKIPPED, booking_id, reason="changed concurrently")
    metrics.BOOKINGS_FINISHED.labels(BookingState.MANUAL_REVIEW).inc()
    return Outcome(Status.MANUAL_REVIEW, booking_id, reason=reason)
