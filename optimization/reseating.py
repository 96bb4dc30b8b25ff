"""Re-seating one booking: the fewest moves of the day's not-yet-frozen confirmed bookings that make room for
it, computed by the pure solver (`optimization.solver.reseat`) and applied through `plan_changes_apply`.

The coordinator and the host's console reach it through `assignments.reseating`, where this app's
AppConfig.ready registers `CpSatReseater`: assignments never imports the optimizer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from assignments.conf import maitre_settings
from assignments.context import engine_for, request_for
from assignments.lifecycle import Actor
from assignments.models import Booking, Table
from assignments.reseating import ReseatProposal
from optimization.applying import plan_changes_apply
from optimization.selectors import DayState, day_plan_current
from optimization.solver.reseat import moves as plan_moves
from optimization.solver.reseat import reseat_pays_off, reseat_plan

logger = logging.getLogger("maitre.optimization")

RESEAT = "reseat"
RESEATER = Actor(RESEAT)


@dataclass
class ReseatPlan:
    """Room for `booking`: the moves of other bookings that make it, and the booking's tables."""

    booking: Booking
    tables: tuple[str, ...]
    moves: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    frozen: set[str]
    state: DayState
    seconds: float

    def table_objects(self, labels: tuple[str, ...]) -> list[Table]:
        return [self.state.tables_by_label[t] for t in labels]


def reseat_compute(
    *,
    booking: Booking,
    now: datetime | None = None,
    freeze_minutes: int | None = None,
    time_limit: float | None = None,
    payoff_margin: float | None = None,
) -> ReseatPlan | None:
    """The fewest moves of not-yet-frozen confirmed bookings of the booking's day that seat it too (no
    writes), or None. Holds and other bookings' allocations never move. With `payoff_margin`, None also when
    admitting the party does not surely bring more covers than it costs later (`reseat_pays_off`, with
    MAITRE_RESEAT_PAYOFF_CONFIDENCE standard errors of certainty): the pipeline's
    rule, the benchmark's too; a host asking for a proposal gets one regardless.
    Each solve stops at MAITRE_RESEAT_DETERMINISTIC_TIME (the same plan for the same day however busy the
    machine is) or at `time_limit` wall-clock seconds (default MAITRE_RESEAT_TIME_LIMIT_SECONDS), the safety
    net."""
    started = time.perf_counter()
    if time_limit is None:
        time_limit = maitre_settings.RESEAT_TIME_LIMIT_SECONDS
    now = now or timezone.now()
    freeze = int(maitre_settings.OPTIMIZATION_FREEZE_MINUTES if freeze_minutes is None else freeze_minutes)
    restaurant = booking.restaurant
    day = restaurant.service_day_of(booking.start_at)
    state = day_plan_current(
        restaurant=restaurant, day=day, include_optional=False, exclude_booking_id=booking.pk
    )
    new_request = request_for(booking=booking, restaurant=restaurant, day=day)
    cutoff = state.minute(now) + freeze
    frozen = {bid for bid in state.current if state.requests[bid].start < cutoff} | set(state.blockers)
    accepted = {**state.current, **state.blockers}
    plan = reseat_plan(
        state.floor,
        accepted,
        state.requests,
        new_request,
        frozen=frozen,
        time_limit=time_limit,
        num_workers=1,
        deterministic_limit=maitre_settings.RESEAT_DETERMINISTIC_TIME,
    )
    if plan is None:
        return None
    changed = plan_moves(accepted, plan)
    if set(changed) & frozen:  # reseat_plan never does this; the rule is worth a second look
        return None
    if payoff_margin is not None:
        engine = engine_for(restaurant=restaurant, floor=state.floor, day=day)
        if not reseat_pays_off(
            engine,
            accepted,
            state.requests,
            new_request,
            plan,
            margin=payoff_margin,
            confidence=maitre_settings.RESEAT_PAYOFF_CONFIDENCE,
        ):
            logger.info(
                "re-seat for booking %s declined: it does not surely bring more covers than it costs later",
                booking.pk,
            )
            return None
    return ReseatPlan(
        booking=booking,
        tables=plan[new_request.booking_id],
        moves={bid: (state.current[bid], new) for bid, new in changed.items()},
        frozen=frozen,
        state=state,
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
    plan_changes_apply(
        state=plan.state,
        moves=plan.moves,
        seat={},
        confirm=False,
        strategy=RESEAT,
        actor=actor,
        correlation_id=correlation_id,
        also_check=[target],
        room_for=plan.booking,
    )
    return plan.tables


class CpSatReseater:
    """The optimizer's answer to `assignments.reseating.Reseater`."""

    def compute(
        self,
        *,
        booking: Booking,
        now: datetime | None = None,
        time_limit: float | None = None,
        payoff_margin: float | None = None,
    ) -> ReseatPlan | None:
        return reseat_compute(booking=booking, now=now, time_limit=time_limit, payoff_margin=payoff_margin)

    def apply(self, *, plan: ReseatProposal, actor: Actor, correlation_id: str = "") -> tuple[str, ...]:
        assert isinstance(plan, ReseatPlan), plan  # only ever one of ours, from compute()
        return reseat_apply(plan=plan, actor=actor, correlation_id=correlation_id)
