"""Re-seating: when a booking does not fit, move bookings that have not started so that it does.

Pure Python (no Django). The Django coordinator calls `reseat_plan` when the engine finds no plan;
the benchmark calls it in its `engine_reseat` replay.

The answer uses the fewest moves (bookings whose tables change), never moves a frozen booking
(one that has started or is about to), and never drops anyone: every accepted booking keeps a
plan, the new one gets one. Exact model: optimization.solver.model.solve_seat_all with minimize_moves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assignments.engine import Engine, Floor, Occupancy, Request
from optimization.solver.model import Solution, by_name, solve_seat_all

# CP-SAT's deterministic time for each of a re-seat's two solves. With one worker a search stopped by
# this budget ends in the same place however busy the machine is, so a replay (and a host asking twice)
# gets the same plan. 2.0 lets the 60-80-table evenings finish (docs/benchmarks/engine.md); the wall
# clock stays a cap in the service (MAITRE_RESEAT_TIME_LIMIT_SECONDS).
DETERMINISTIC_LIMIT = 2.0
# The relaxed solve over the bookings overlapping the new one runs first only when they are fewer than
# this share of the day's accepted bookings.
RELAXED_SHARE = 0.75


@dataclass(frozen=True)
class ReseatSearch:
    """What a re-seat search found: the plan (or None) and why, with its cost."""

    plan: dict[str, tuple[str, ...]] | None
    # "seated", "no room" (proved), "out of budget", "no shape" (the floor cannot seat the party at all)
    outcome: str
    seconds: float = 0.0  # wall clock over the solves
    work: float = 0.0  # CP-SAT deterministic time over the solves
    solves: int = 0


def reseat_plan(
    floor: Floor,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request] | Iterable[Request],
    new_request: Request,
    frozen: set[str] | frozenset[str] = frozenset(),
    time_limit: float = 5.0,
    num_workers: int = 1,
    deterministic_limit: float | None = DETERMINISTIC_LIMIT,
) -> dict[str, tuple[str, ...]] | None:
    """A new arrangement seating `new_request` and every booking in `accepted`, or None.

    - `accepted`: booking id -> its current tables (every booking holding tables that could matter).
    - `requests`: the Request of every accepted booking (a mapping by id, or any iterable).
    - `frozen`: booking ids that must keep exactly their tables.
    Returns booking id -> sorted tables for every accepted booking plus the new one; the bookings
    whose tables differ from `accepted` are the moves (see `moves`), as few as possible when the
    solver proves it within its budget (else the fewest it found). None when no arrangement exists
    or none was found in time: the booking goes to review as before. Each solve stops at
    `deterministic_limit` (CP-SAT deterministic time; with `num_workers=1` the answer does not depend
    on the machine's load) or at `time_limit` wall-clock seconds, whichever comes first.
    """
    return reseat_search(
        floor,
        accepted,
        requests,
        new_request,
        frozen,
        time_limit=time_limit,
        num_workers=num_workers,
        deterministic_limit=deterministic_limit,
    ).plan


def reseat_search(
    floor: Floor,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request] | Iterable[Request],
    new_request: Request,
    frozen: set[str] | frozenset[str] = frozenset(),
    *,
    time_limit: float = 5.0,
    num_workers: int = 1,
    deterministic_limit: float | None = DETERMINISTIC_LIMIT,
) -> ReseatSearch:
    """`reseat_plan`, telling also why there is no plan and what the solves cost."""
    by_id = dict(requests) if isinstance(requests, Mapping) else {r.booking_id: r for r in requests}
    missing = sorted(set(accepted) - set(by_id))
    if missing:
        raise ValueError(f"no request for accepted booking(s): {', '.join(missing[:5])}")
    if new_request.booking_id in accepted:
        raise ValueError(f"{new_request.booking_id!r} is already seated")
    if not floor.candidates_for(new_request.party_size, new_request.accessible):
        return ReseatSearch(None, "no shape")
    current = {bid: tuple(sorted(tables)) for bid, tables in accepted.items()}
    pinned = {bid: current[bid] for bid in sorted(frozen) if bid in current}
    everyone = [by_id[bid] for bid in sorted(current)]
    n = new_request
    if _overcrowded(floor, everyone, n, pinned):
        return ReseatSearch(None, "no room")

    def seat_all(reqs: list[Request], fixed: Mapping[str, Sequence[str]], fewest_moves: bool) -> Solution:
        return solve_seat_all(
            floor,
            reqs,
            fixed=fixed,
            current=current,
            minimize_moves=fewest_moves,
            time_limit=time_limit,
            num_workers=num_workers,
            deterministic_time=deterministic_limit,
            table_order=by_name,
        )

    # Cheap proof first: if the bookings overlapping the new one cannot all be seated with it (the
    # rest ignored), no arrangement of the whole day can. Worth a solve only when it leaves a good part
    # of the day out; on a busy evening nearly every booking overlaps and the full solve proves it alike.
    near = [r for r in everyone if r.start < n.end and n.start < r.end]
    spent = (0.0, 0.0)
    solves = 0
    if len(near) < RELAXED_SHARE * len(everyone):
        near_ids = {r.booking_id for r in near}
        near_pinned = {bid: t for bid, t in pinned.items() if bid in near_ids}
        relaxed = seat_all([*near, n], near_pinned, False)
        spent, solves = (relaxed.seconds, relaxed.work), 1
        if relaxed.status == "INFEASIBLE":
            return ReseatSearch(None, "no room", *spent, solves)
        if not relaxed.solved:
            return ReseatSearch(None, "out of budget", *spent, solves)
    full = seat_all([*everyone, n], pinned, True)
    spent = (round(spent[0] + full.seconds, 3), spent[1] + full.work)
    solves += 1
    if full.status == "INFEASIBLE":
        return ReseatSearch(None, "no room", *spent, solves)
    if not full.solved:
        return ReseatSearch(None, "out of budget", *spent, solves)
    out = {bid: tuple(sorted(t)) for bid, t in full.assignment.items()}
    if set(out) != set(current) | {n.booking_id}:  # defensive: never drop anyone
        return ReseatSearch(None, "no room", *spent, solves)
    if any(out[bid] != t for bid, t in pinned.items()):
        return ReseatSearch(None, "no room", *spent, solves)
    return ReseatSearch(out, "seated", *spent, solves)


def _overcrowded(
    floor: Floor, everyone: Sequence[Request], new: Request, pinned: Mapping[str, Sequence[str]]
) -> bool:
    """A pigeonhole proof that no arrangement exists, without a solve: at some minute of the new booking's
    window the bookings then in the room, with it, need more tables than the floor has (each at least as
    many as its smallest shape; a pinned one its own)."""
    least: dict[tuple[int, bool], int] = {}

    def need(r: Request) -> int:
        if r.booking_id in pinned:
            return len(pinned[r.booking_id])
        key = (r.party_size, r.accessible)
        if key not in least:
            shapes = floor.candidates_for(r.party_size, r.accessible)
            least[key] = min((c.size for c in shapes), default=1)
        return least[key]

    tables = len(floor.table_ids)
    overlapping = [r for r in everyone if r.start < new.end and new.start < r.end]
    for minute in sorted({new.start, *(r.start for r in overlapping if r.start > new.start)}):
        if need(new) + sum(need(r) for r in overlapping if r.start <= minute < r.end) > tables:
            return True
    return False


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
    (`reseat_pays_off` plays the day forward instead, see `played_gain`); it explains a re-seat in the
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


# The later demand the pay-off plays forward: `base + slope x refused share` x tables later requests per
# draw, the share read from the day's latest RECENT_REQUESTS requests. The slope is 0: more later requests on
# busier days lost covers on the tuning set, and the share hardly tells a load-0.6 evening from a load-1.5
# one when a re-seat is asked for (docs/benchmarks/engine.md); the benchmark's replay can still try one.
RECENT_REQUESTS = 30
PAYOFF_BASE = 1.0
PAYOFF_SLOPE = 0.0
# How sure the pay-off must be: the played gain's mean less PAYOFF_CONFIDENCE standard errors (over the
# draws) must clear the margin. 32 draws of later guests give a noisy mean, and a re-seat whose gain is
# mostly noise moves parties for nothing, then leaves a floor the engine keeps paying for: with 0 (the
# mean alone) the rule was below the engine alone on s2009 and s1023; with 2 on none of the days measured
# (docs/benchmarks/engine.md, "fifth pass").
PAYOFF_CONFIDENCE = 2.0


@dataclass(frozen=True)
class DayPressure:
    """How busy the day is, read from what is known online: of the day's `decided` latest requests (at
    most RECENT_REQUESTS, never one still to come), the `refused` ones the engine found no free plan for.
    On a day whose demand outruns the floor, most late requests find none."""

    decided: int = 0
    refused: int = 0

    @property
    def refused_share(self) -> float:
        return self.refused / self.decided if self.decided else 0.0


def later_arrivals_per_table(
    pressure: DayPressure | None, *, base: float = PAYOFF_BASE, slope: float = PAYOFF_SLOPE
) -> float:
    """Later requests per table the pay-off plays forward: more the busier the day is."""
    return base + slope * (pressure.refused_share if pressure is not None else 0.0)


@dataclass(frozen=True)
class PlayedGain:
    """What a re-seat adds to the day, played forward over `samples` draws of later guests: the mean of
    the per-draw gains (covers) and its standard error."""

    mean: float
    stderr: float
    samples: int

    def lower(self, confidence: float) -> float:
        """The mean less `confidence` standard errors: the gain the rule trusts."""
        return self.mean - confidence * self.stderr

    def __str__(self) -> str:
        return f"{self.mean:+.1f} expected covers (standard error {self.stderr:.1f}, {self.samples} draws)"


def reseat_pays_off(
    engine: Engine,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request],
    new_request: Request,
    plan: Mapping[str, Sequence[str]],
    margin: float = 1.0,
    pressure: DayPressure | None = None,
    arrivals_per_table: float | None = None,
    confidence: float = PAYOFF_CONFIDENCE,
) -> bool:
    """Re-seat only when it surely adds more than `margin` covers to the day: the played gain
    (`played_gain`: the new party, less the later covers the moves and its tables take from the later
    guests the demand prior brings, as many as the day's `pressure` says: `later_arrivals_per_table`),
    less `confidence` standard errors, must exceed `margin`."""
    if arrivals_per_table is None:
        arrivals_per_table = later_arrivals_per_table(pressure)
    gain = played_gain(engine, accepted, requests, new_request, plan, arrivals_per_table=arrivals_per_table)
    return gain.lower(confidence) > margin


def played_gain(
    engine: Engine,
    accepted: Mapping[str, Sequence[str]],
    requests: Mapping[str, Request],
    new_request: Request,
    plan: Mapping[str, Sequence[str]],
    samples: int = 32,
    arrivals_per_table: float = 1.0,
) -> PlayedGain:
    """Covers a re-seat adds to the day, by the engine's demand model played forward.

    Later requests are drawn from the engine's demand prior (`samples` sequences, overlapping the
    window of the new booking and of every booking that moves) and seated smallest-fit first on
    both days: the arrangement as it is (the booking goes to review) and the re-seated one with
    the new booking. A draw's gain is the new party plus what it seats after the re-seat, minus
    what it seats without it: the covers its tables and the moves take from later guests are
    counted, not estimated from the tables' shape alone. Returns the mean over the draws and its
    standard error.
    """
    from assignments.engine.rollout import Rollouts

    moved = moves(accepted, plan)
    spans = [new_request, *(requests[b] for b in moved)]
    start, end = min(r.start for r in spans), max(r.end for r in spans)
    per = max(1, round(arrivals_per_table * len(engine.floor.table_ids)))
    rollouts = Rollouts(engine.floor, engine.demand, samples, per)
    key = f"reseat:{new_request.party_size}:{new_request.start}:{new_request.end}:{len(moved)}:{start}:{end}"
    draws = rollouts.draw_window(start, end, key)
    party = float(new_request.party_size)
    if not draws:
        return PlayedGain(party, 0.0, 0)
    before = _occupancy(engine.floor, accepted, requests)
    after = _occupancy(engine.floor, plan, {**requests, new_request.booking_id: new_request})
    memo_before: dict[Any, Any] = {}
    memo_after: dict[Any, Any] = {}
    gains = [
        party
        + rollouts.covers(after, [seq], memo=memo_after)
        - rollouts.covers(before, [seq], memo=memo_before)
        for seq in draws
    ]
    n = len(gains)
    mean = sum(gains) / n
    stderr = math.sqrt(sum((g - mean) ** 2 for g in gains) / (n - 1) / n) if n > 1 else 0.0
    return PlayedGain(mean, stderr, n)


def _occupancy(
    floor: Floor, assignment: Mapping[str, Sequence[str]], requests: Mapping[str, Request]
) -> Occupancy:
    occ = Occupancy(floor)
    for bid, tables in assignment.items():
        r = requests[bid]
        occ.add(tables, r.start, r.end, bid)
    return occ
