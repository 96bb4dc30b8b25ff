"""Walk-ins: a party at the door, seated now for its turn time when a plan is free from now, otherwise an
honest answer with the next time a plan for it frees up today.

The decision and the writes happen in one transaction under the restaurant day's advisory lock (the one
every pipeline batch takes), so a walk-in never races the pipeline for a table; the booking goes the whole
way through the lifecycle (created, assignment requested, confirmed through the seating service, seated),
each step with its history row and event. A refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from assignments import lifecycle, metrics
from assignments.context import (
    elapsed_minutes,
    elapsed_moment,
    elapsed_to_wall,
    engine_for,
    floor_state,
    occupancy_for_day,
    to_minutes,
    wall_to_elapsed,
)
from assignments.coordinator import restaurant_day_lock_wait
from assignments.engine import Request
from assignments.engine.next_free import next_free_start
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, Restaurant, Zone
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.services.allocations import AllocationConflict
from assignments.services.bookings import booking_create
from assignments.services.seating import booking_seat

WALK_IN = "walk_in"
TRIES = 3  # a hold or staff may take a table between our look and our insert: look again, this often


def clock() -> datetime:
    """The walk-in's "now" (one place, so that a test can set the evening it happens in)."""
    return timezone.now()


class WalkInRefused(Exception):
    """No plan is free for the party from now; `next_free_at` is when one frees up today (None: not today)."""

    def __init__(self, reason: str, next_free_at: datetime | None):
        self.reason = reason
        self.next_free_at = next_free_at
        super().__init__(reason)


@dataclass(frozen=True)
class WalkIn:
    booking: Booking
    tables: tuple[str, ...]


def walk_in_seat(
    *,
    restaurant: Restaurant,
    party_size: int,
    guest_name: str = "",
    preferred_zone: Zone | None = None,
    needs_accessible: bool = False,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    now: datetime | None = None,
) -> WalkIn:
    """Seat a party of `party_size` now for its turn time, or raise WalkInRefused (nothing written)."""
    now = now or clock()
    start = now.replace(second=0, microsecond=0)
    day = restaurant.service_day_of(start)
    for _ in range(TRIES):
        try:
            with transaction.atomic():
                restaurant_day_lock_wait(restaurant_id=restaurant.pk, service_date=day)
                walk_in = _seat_locked(
                    restaurant,
                    day,
                    start,
                    now,
                    party_size,
                    guest_name,
                    preferred_zone,
                    needs_accessible,
                    actor,
                    correlation_id,
                )
        except AllocationConflict:
            continue
        except WalkInRefused:
            metrics.WALK_INS.labels(restaurant.slug, "refused").inc()
            raise
        metrics.WALK_INS.labels(restaurant.slug, "seated").inc()
        return walk_in
    metrics.WALK_INS.labels(restaurant.slug, "refused").inc()
    raise WalkInRefused("the floor kept changing while we looked; ask again", None)


def _seat_locked(
    restaurant, day, start, now, party_size, guest_name, zone, accessible, actor, correlation_id
):
    fstate = floor_state(restaurant=restaurant)
    occupancy, _rows = occupancy_for_day(restaurant=restaurant, day=day, floor=fstate.floor, now=now)
    engine = engine_for(restaurant=restaurant, floor=fstate.floor, day=day)
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    wall = to_minutes(restaurant, day, start)  # the hours' clock
    minute = elapsed_minutes(restaurant, day, start)  # the occupancy's (the same but on a clock-change night)
    length = schedule.turn_for(party_size, wall) + restaurant.buffer_minutes
    zone_key = zone.key if zone is not None else None
    plan = None
    if schedule.service_at(wall) is not None:
        decision = engine.decide(
            Request(WALK_IN, party_size, minute, minute + length, zone_key, accessible), occupancy
        )
        plan = decision.plans[0] if decision.plans else None
    if plan is None:
        raise _refusal(
            restaurant,
            day,
            schedule,
            fstate.floor,
            engine,
            occupancy,
            party_size,
            length,
            minute,
            zone_key,
            accessible,
        )
    booking = booking_create(
        restaurant=restaurant,
        party_size=party_size,
        start_at=start,
        guest_name=guest_name,
        preferred_zone=zone,
        needs_accessible=accessible,
        notes="walk-in",
        actor=actor,
        correlation_id=correlation_id,
    )
    lifecycle.booking_request_assignment(
        booking=booking, trigger=WALK_IN, actor=actor, correlation_id=correlation_id
    )
    booking_seat(
        booking=booking,
        tables=[fstate.tables_by_label[t] for t in plan.tables],
        window=restaurant.occupied_window(booking.start_at, booking.end_at),
        strategy=plan.strategy,
        actor=actor,
        correlation_id=correlation_id,
        metadata={"walk_in": True},
    )
    lifecycle.booking_mark_seated(booking=booking, actor=actor, correlation_id=correlation_id, now=now)
    return WalkIn(booking=booking, tables=tuple(sorted(plan.tables)))


def _refusal(
    restaurant, day, schedule, floor, engine, occupancy, party_size, length, minute, zone_key, accessible
):
    if not floor.candidates_for(party_size, accessible):
        need = " with step-free access" if accessible else ""
        return WalkInRefused(f"no table or combination on this floor seats {party_size}{need}", None)
    if schedule.closed:
        return WalkInRefused(schedule.closed_reason or "the restaurant is closed today", None)
    # The search runs in the occupancy's elapsed frame (`minute`); the hours are wall-clock minutes, read across
    # at their edges, so on a clock-change night the next free time is the real one, not an hour off.
    found = next_free_start(
        engine,
        occupancy,
        party_size=party_size,
        length=length,
        earliest=minute,
        latest=wall_to_elapsed(restaurant, day, max(s.last_seating for s in schedule.services)),
        preferred_zone=zone_key,
        accessible=accessible,
        openings=[wall_to_elapsed(restaurant, day, s.start) for s in schedule.services],
        may_start=lambda m: schedule.service_at(elapsed_to_wall(restaurant, day, m)) is not None,
    )
    serving = schedule.service_at(elapsed_to_wall(restaurant, day, minute)) is not None
    if found is None:
        why = (
            "no table frees up for this party before close" if serving else "not serving now, nor later today"
        )
        return WalkInRefused(why, None)
    at = elapsed_moment(restaurant, day, found[0])
    local = at.astimezone(restaurant.tzinfo)
    why = (
        f"no table is free for {party_size} now; the next frees up at {local:%H:%M}"
        if serving
        else f"not serving now; the next table for {party_size} is free at {local:%H:%M}"
    )
    return WalkInRefused(why, at)
