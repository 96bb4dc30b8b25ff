"""Applying moves (shared by the day optimizer and re-seating): lock, re-check, re-allocate, confirm, record.

The affected bookings are locked in primary-key order; each booking's version and state (and a moved
booking's tables) must be what the plan was computed from, else PlanStale and nothing is written. Moved
bookings get new allocations (the exclusion constraint is the final guard), an attempt row and a
`booking.tables_changed` outbox event, all through the seating service; they change no state, so they get
no history row. Newly seated bookings are confirmed through the lifecycle (history + `booking.confirmed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from assignments.lifecycle import Actor
from assignments.models import AttemptResult, Booking, TableAllocation
from assignments.reseating import PlanStale
from assignments.services.allocations import allocations_release
from assignments.services.seating import AttemptRow, booking_seat
from optimization.selectors import DayState


def plan_changes_apply(
    *,
    state: DayState,
    moves: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]],
    seat: Mapping[str, tuple[str, ...]],
    confirm: bool,
    strategy: str,
    actor: Actor,
    correlation_id: str,
    also_check: Iterable[str] = (),
    room_for: Booking | None = None,
) -> dict[int, Booking]:
    """Inside the caller's transaction: lock, re-check, re-allocate, confirm, record. Raises PlanStale.
    `room_for`: the booking the moves make room for (a re-seat), named on each moved booking's record (its
    attempt row and `booking.tables_changed` event)."""
    planned = {bid: state.bookings[bid] for bid in {*moves, *seat, *also_check}}
    ids = sorted(int(bid) for bid in planned)
    locked = {b.pk: b for b in Booking.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for pk in ids:
        before, now_ = planned[str(pk)], locked.get(pk)
        if now_ is None or now_.version != before.version or now_.state != before.state:
            raise PlanStale(f"booking {pk} changed since the plan was made")
    held: dict[int, set[str]] = {}
    for booking_id, label in TableAllocation.objects.filter(booking_id__in=ids).values_list(
        "booking_id", "table__label"
    ):
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
    why = (
        f", to make room for #{room_for.pk} (party of {room_for.party_size})" if room_for is not None else ""
    )
    cause = {"room_for": room_for.pk} if room_for is not None else {}
    for pk in sorted(int(b) for b in targets):
        b, bid = locked[pk], str(pk)
        if bid in moves:
            old, new = moves[bid]
            row = AttemptRow(
                strategy,
                AttemptResult.SUCCESS,
                f"moved from {', '.join(old)} to {', '.join(new)} by the {by}{why}",
                {"from_tables": list(old), "tables": list(new), "move": True, **cause},
            )
        else:
            new = seat[bid]
            if not confirm:  # the caller seats it (re-seating) in the same transaction
                continue
            row = AttemptRow(
                strategy,
                AttemptResult.SUCCESS,
                f"seated at {', '.join(new)} by the {by}",
                {"tables": list(new), "move": False},
            )
        booking_seat(
            booking=b,
            tables=[state.tables_by_label[t] for t in new],
            window=(b.start_at, b.end_at + buffer),
            strategy=strategy,
            actor=actor,
            correlation_id=correlation_id,
            attempt_rows=[row],
            expected_version=planned[bid].version,
            metadata={"from_tables": list(moves[bid][0]), "strategy": strategy, **cause}
            if bid in moves
            else {"by": strategy},
        )
    return locked
