"""Re-seating: when a booking does not fit, move bookings that have not started so that it does.

Pure Python (no Django). The Django coordinator calls `reseat_plan` when the engine finds no plan;
the benchmark calls it in its `engine_reseat` replay.

The answer uses the fewest moves (bookings whose tables change), never moves a frozen booking
(one that has started or is about to), and never drops anyone: every accepted booking keeps a
plan, the new one gets one. Exact model: optimization.solver.model.solve_seat_all with minimize_moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from assignments.engine import Engine, Floor, Occupancy, Request
from optimization.solver.model import solve_seat_all


def reseat_plan(
    floor: Floor,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request] | Iterable[Request],
    new_request: Request,
    frozen: set[str] | frozenset[str] = frozenset(),
    time_limit: float = 1.0,
    num_workers: int = 2,
) -> dict[str, tuple[str, ...]] | None:
    """A new arrangement seating `new_request` and every booking in `accepted`, or None.

    - `accepted`: booking id -> its current tables (every booking holding tables that could matter).
    - `requests`: the Request of every accepted booking (a mapping by id, or any iterable).
    - `frozen`: booking ids that must keep exactly their tables.
    Returns booking id -> sorted tables for every accepted booking plus the new one; the bookings
    whose tables differ from `accepted` are the moves (see `moves`), as few as possible when the
    solver proves it within `time_limit` (else the fewest it found). None when no arrangement exists
    or none was found in time: the booking goes to review as before.
    """
    by_id = dict(requests) if isinstance(requests, Mapping) else {r.booking_id: r for r in requests}
    missing = sorted(set(accepted) - set(by_id))
    if missing:
        raise ValueError(f"no request for accepted booking(s): {', '.join(missing[:5])}")
    if new_request.booking_id in accepted:
        raise ValueError(f"{new_request.booking_id!r} is already seated")
    if not floor.candidates_for(new_request.party_size, new_request.accessible):
        return None
    current = {bid: tuple(sorted(tables)) for bid, tables in accepted.items()}
    pinned = {bid: current[bid] for bid in frozen if bid in current}
    everyone = [by_id[bid] for bid in sorted(current)]
    n = new_request
    # Cheap proof first: if the bookings overlapping the new one cannot all be seated with it (the
    # rest ignored), no arrangement of the whole day can.
    near = [r for r in everyone if r.start < n.end and n.start < r.end]
    near_ids = {r.booking_id for r in near}
    near_pinned = {bid: t for bid, t in pinned.items() if bid in near_ids}
    relaxed = solve_seat_all(
        floor, [*near, n], fixed=near_pinned, current=current, time_limit=time_limit, num_workers=num_workers
    )
    if relaxed.status == "INFEASIBLE" or not relaxed.solved:
        return None
    full = solve_seat_all(
        floor,
        [*everyone, n],
        fixed=pinned,
        current=current,
        minimize_moves=True,
        time_limit=time_limit,
        num_workers=num_workers,
    )
    if not full.solved:
        return None
    out = {bid: tuple(sorted(t)) for bid, t in full.assignment.items()}
    if set(out) != set(current) | {n.booking_id}:  # defensive: never drop anyone
        return None
    if any(out[bid] != t for bid, t in pinned.items()):
        return None
    return out


def moves(
    accepted: Mapping[str, Sequence[str]], plan: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The bookings of `accepted` whose tables change in `plan`, with their new tables."""
    return {
        bid: tuple(sorted(plan[bid]))
        for bid, tables in accepted.items()
        if bid in plan and tuple(sorted(plan[bid])) != tuple(sorted(tables))
    }


def reseat_cost(
    engine: Engine,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request],
    new_request: Request,
    plan: Mapping[str, Sequence[str]],
) -> float:
    """Expected later covers a re-seat gives up, by the engine's own demand model.

    The new booking's plan costs its capacity cost (empty seats, joined tables, dead time, later
    demand displaced) on the arrangement after the moves; each moved booking adds the difference
    between its new plan's capacity cost and its old one's. The pay-off rule no longer reads it
    (`reseat_pays_off` plays the day forward instead, see `reseat_gain`); it explains a re-seat in the
    ranking's own currency.
    """
    before = _occupancy(engine.floor, accepted, requests)
    after = _occupancy(engine.floor, plan, {**requests, new_request.booking_id: new_request})
    after.remove(new_request.booking_id)
    cost = engine.plan_capacity(new_request, plan[new_request.booking_id], after) or 0.0
    for bid, tables in moves(accepted, plan).items():
        r = requests[bid]
        before.remove(bid)
        old = engine.plan_capacity(r, accepted[bid], before)
        before.add(accepted[bid], r.start, r.end, bid)
        after.remove(bid)
        new = engine.plan_capacity(r, tables, after)
        after.add(tables, r.start, r.end, bid)
        cost += (new or 0.0) - (old or 0.0)
    return cost


def reseat_pays_off(
    engine: Engine,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request],
    new_request: Request,
    plan: Mapping[str, Sequence[str]],
    margin: float = 1.0,
    arrivals_per_table: float = 1.0,
) -> bool:
    """Re-seat only when it adds more than `margin` expected covers to the day (`reseat_gain`: the new
    party, less the later covers the moves and its tables take from the demand prior's later guests)."""
    gain = reseat_gain(engine, accepted, requests, new_request, plan, arrivals_per_table=arrivals_per_table)
    return gain > margin


def reseat_gain(
    engine: Engine,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request],
    new_request: Request,
    plan: Mapping[str, Sequence[str]],
    samples: int = 32,
    arrivals_per_table: float = 1.0,
) -> float:
    """Expected covers a re-seat adds to the day, by the engine's demand model played forward.

    Later requests are drawn from the engine's demand prior (`samples` sequences, overlapping the
    window of the new booking and of every booking that moves) and seated smallest-fit first on
    both days: the arrangement as it is (the booking goes to review) and the re-seated one with
    the new booking. The gain is the new party plus what the draws seat after the re-seat, minus
    what they seat without it: the covers its tables and the moves take from later guests are
    counted, not estimated from the tables' shape alone.
    """
    from assignments.engine.rollout import Rollouts

    moved = moves(accepted, plan)
    spans = [new_request, *(requests[b] for b in moved)]
    start, end = min(r.start for r in spans), max(r.end for r in spans)
    per = max(1, round(arrivals_per_table * len(engine.floor.table_ids)))
    rollouts = Rollouts(engine.floor, engine.demand, samples, per)
    key = f"reseat:{new_request.party_size}:{new_request.start}:{new_request.end}:{len(moved)}:{start}:{end}"
    draws = rollouts.draw_window(start, end, key)
    if not draws:
        return float(new_request.party_size)
    before = _occupancy(engine.floor, accepted, requests)
    after = _occupancy(engine.floor, plan, {**requests, new_request.booking_id: new_request})
    n = len(draws)
    return new_request.party_size + (rollouts.covers(after, draws) - rollouts.covers(before, draws)) / n


def _occupancy(
    floor: Floor, assignment: Mapping[str, Sequence[str]], requests: Mapping[str, Request]
) -> Occupancy:
    occ = Occupancy(floor)
    for bid, tables in assignment.items():
        r = requests[bid]
        occ.add(tables, r.start, r.end, bid)
    return occ
