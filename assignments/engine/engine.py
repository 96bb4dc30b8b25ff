"""The engine: candidates -> strategies -> scoring -> ranked plans. Deterministic, pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .demand import DemandProfile
from .floor import Candidate, Floor
from .occupancy import Occupancy
from .rollout import Rollouts
from .scoring import Option, Weights, rank_key
from .strategies import AssignmentStrategy, default_strategies
from .types import Decision, Plan, Request, StrategyOutcome

ALTERNATIVE = "alternative"
ROLLOUT = "rollout"  # a plan no strategy proposed, put first by look-ahead rollouts
REFERENCE = "reference_layout"  # the day's reference layout's plan (reference.py), put first


@dataclass(slots=True)
class StrategyContext:
    """Everything a strategy may read for one decision. Never holds bookings still to come."""

    floor: Floor
    request: Request
    occupancy: Occupancy
    weights: Weights
    demand: DemandProfile
    options: list[Option]  # free, valid, non-dominated candidates with features, canonical order


class Engine:
    def __init__(
        self,
        floor: Floor,
        weights: Weights | None = None,
        strategies: Sequence[AssignmentStrategy] | None = None,
        demand: DemandProfile | None = None,
        max_plans: int = 5,
    ):
        self.floor = floor
        self.weights = weights or Weights()
        chosen = default_strategies() if strategies is None else tuple(strategies)
        self.strategies = tuple(sorted(chosen, key=lambda s: (s.priority, s.name)))
        self.demand = demand or DemandProfile()
        self.max_plans = max_plans
        self._zone_tables: dict[str, list[str]] = {}
        for tid in floor.table_ids:
            self._zone_tables.setdefault(floor.table_by_id[tid].zone, []).append(tid)
        mix_sizes = sorted(
            {p for p in self.demand.party_mix} | {p for m in self.demand.hourly_mix.values() for p in m}
        )
        # Later demand, by party size: the shapes each size could use (as table-id tuples).
        self._demand_shapes = {
            p: tuple(c.tables for c in floor.candidates_for(p, False))
            for p in mix_sizes
            if p <= floor.largest_party
        }
        _ = floor.candidates  # enumerate once, up front
        w = self.weights
        self._rollouts = (
            Rollouts(
                floor,
                self.demand,
                int(w.rollout_samples),
                max(1, round(w.rollout_arrivals * len(floor.table_ids))),
            )
            if w.rolls_out
            else None
        )
        self._protection_rollouts: Rollouts | None = None  # built on first use

    # -- features -------------------------------------------------------------------------------
    def _table_windows(
        self, request: Request, occupancy: Occupancy
    ) -> dict[str, tuple[bool, int | None, int | None]]:
        s, e = request.start, request.end
        return {tid: occupancy.window(tid, s, e) for tid in self.floor.table_ids}

    def _lookahead_per_table(self, request: Request, free: set[str]) -> dict[str, float]:
        """Expected later covers each table would cost, by how much it thins each party size's options.

        Having n free shapes for a size is worth 1 - 1/(n+1); taking a table removes the k shapes
        that use it. Weighted by the size's share of demand, its covers and the hour's intensity.
        """
        demand = self.demand
        mix = demand.mix_at(request.start)
        intensity = demand.intensity_at(request.start)
        per_table: dict[str, float] = {}
        if intensity <= 0:
            return per_table
        for p, shapes in self._demand_shapes.items():
            share = mix.get(p, 0.0)
            if share <= 0:
                continue
            counts: dict[str, int] = {}
            n = 0
            for shape in shapes:
                if all(t in free for t in shape):
                    n += 1
                    for t in shape:
                        counts[t] = counts.get(t, 0) + 1
            if not n:
                continue
            value = share * p * intensity
            base = 1.0 / (n + 1)
            for t, k in counts.items():
                per_table[t] = per_table.get(t, 0.0) + value * (1.0 / (n - k + 1) - base)
        return per_table

    def options(self, request: Request, occupancy: Occupancy) -> tuple[list[Option], int]:
        """Free valid shapes with features, and how many shapes were examined."""
        floor = self.floor
        shapes = floor.candidates_for(request.party_size, request.accessible)
        if not shapes:
            return [], 0
        windows = self._table_windows(request, occupancy)
        free = {t for t, w in windows.items() if w[0]}
        fitting: list[Candidate] = [c for c in shapes if all(t in free for t in c.tables)]
        if not fitting:
            return [], len(shapes)
        look = self._lookahead_per_table(request, free)
        demand = self.demand
        s, e = request.start, request.end
        shortest = demand.shortest_window
        by_id = floor.table_by_id
        length = e - s
        table_gap: dict[str, tuple[float, int, bool]] = {}
        for c in fitting:
            for t in c.tables:
                if t in table_gap:
                    continue
                _free, prev_end, next_start = windows[t]
                before = s - (prev_end if prev_end is not None else demand.opens)
                waste = before if 0 < before < shortest else 0
                if next_start is not None:
                    after = next_start - e
                    if 0 < after < shortest:
                        waste += after
                span_start = prev_end if prev_end is not None else min(demand.opens, s)
                span_end = next_start if next_start is not None else max(demand.closes + shortest, e)
                span = span_end - span_start
                bounded = prev_end is not None or next_start is not None
                table_gap[t] = (
                    waste / 60.0 * by_id[t].max_covers,
                    span,
                    bounded and span - length < shortest,
                )
        zone_load: dict[str, float] = {}
        for zone, tids in self._zone_tables.items():
            zone_load[zone] = sum(1 for t in tids if t not in free) / len(tids)
        rank = floor.zone_rank
        party = request.party_size
        wanted = request.preferred_zone
        w = self.weights
        out = []
        for c in fitting:
            o = Option(
                candidate=c,
                empty_seats=c.max_covers - party,
                extra_tables=c.size - 1,
                zone_mismatch=int(wanted is not None and c.zone != wanted),
                zone_rank=rank[c.zone],
                gap_waste=sum(table_gap[t][0] for t in c.tables),
                gap_span=sum(table_gap[t][1] for t in c.tables),
                lookahead=sum(look.get(t, 0.0) for t in c.tables),
                zone_load=zone_load[c.zone],
                tight=all(table_gap[t][2] and not table_gap[t][0] for t in c.tables),
            )
            o.score(w)
            out.append(o)
        return out, len(shapes)

    # -- decision -------------------------------------------------------------------------------
    def decide(
        self, request: Request, occupancy: Occupancy, reference: Sequence[str] | None = None
    ) -> Decision:
        """Rank the free plans for `request` on `occupancy`. `reference`: the tables the day's reference
        layout gives it (reference.py; the caller keeps the layout; `()` when the layout has no room for
        it), or None when the caller keeps no layout."""
        if request.end <= request.start:
            raise ValueError(f"empty window for {request.booking_id!r}")
        opts, examined = self.options(request, occupancy)
        ctx = StrategyContext(self.floor, request, occupancy, self.weights, self.demand, opts)
        outcomes: list[StrategyOutcome] = []
        proposed: dict[tuple[str, ...], tuple[Option, AssignmentStrategy, str]] = {}
        for strategy in self.strategies:
            proposal = strategy.propose(ctx)
            o = proposal.option
            if o is None:
                outcomes.append(StrategyOutcome(strategy.name, None, proposal.reason))
                continue
            outcomes.append(
                StrategyOutcome(strategy.name, _plan(o, strategy.name, proposal.reason), proposal.reason)
            )
            proposed.setdefault(o.tables, (o, strategy, proposal.reason))  # strategies run in priority order
        best = min((o.capacity for o, _s, _r in proposed.values()), default=0.0)
        tol = self.weights.tolerance
        ranked = sorted(proposed.values(), key=lambda x: rank_key(x[0], best, tol, x[1].priority))
        plans = [_plan(o, s.name, reason) for o, s, reason in ranked]
        if len(plans) < self.max_plans:
            rest = sorted((o for o in opts if o.tables not in proposed), key=lambda o: (o.cost, o.tables))
            for o in rest[: self.max_plans - len(plans)]:
                plans.append(_plan(o, ALTERNATIVE, "next best by score, in case the proposals are taken"))
        if self.weights.follows_reference and plans and reference is not None:
            plans, outcome = self._reference_first(opts, plans, reference)
            outcomes.append(outcome)
        if self._rollouts is not None and len(opts) > 1:
            plans = self._rollout_order(request, occupancy, opts, plans)
        refusal = (
            self.protection_refusal(request, occupancy, opts, plans[0].tables if plans else None)
            if opts and self.weights.protects
            else None
        )
        if refusal is not None:
            return Decision(
                plans=(), outcomes=tuple(outcomes), candidates_evaluated=examined, refusal=refusal
            )
        return Decision(plans=tuple(plans), outcomes=tuple(outcomes), candidates_evaluated=examined)

    def _reference_first(
        self, opts: list[Option], plans: list[Plan], reference: Sequence[str]
    ) -> tuple[list[Plan], StrategyOutcome]:
        """Put the reference layout's plan first when it costs at most `reference_margin` more capacity
        than the cheapest plan and misses the guest's zone no more than the engine's best plan does."""
        if not reference:
            return plans, StrategyOutcome(REFERENCE, None, "the reference layout has no room for the party")
        wanted = tuple(sorted(reference))
        o = next((o for o in opts if o.tables == wanted), None)
        if o is None:
            return plans, StrategyOutcome(
                REFERENCE, None, f"the reference plan {'+'.join(wanted)} is not free here"
            )
        cheapest = min(x.capacity for x in opts)
        extra = o.capacity - cheapest
        why = f"follows the day's reference layout (smallest fit in arrival order), {extra:.2f} above the cheapest plan"
        plan = _plan(o, REFERENCE, why)
        if plans[0].tables == wanted:
            return plans, StrategyOutcome(REFERENCE, plan, f"{why}; the engine's best plan already")
        top = next(x for x in opts if x.tables == plans[0].tables)
        if extra > self.weights.reference_margin + 1e-9:
            return plans, StrategyOutcome(
                REFERENCE, plan, f"the reference plan costs {extra:.2f} more than the cheapest: not followed"
            )
        if o.zone_mismatch > top.zone_mismatch:
            return plans, StrategyOutcome(
                REFERENCE, plan, "the reference plan misses the guest's zone: not followed"
            )
        return [plan, *(p for p in plans if p.tables != wanted)][: max(self.max_plans, len(plans))], (
            StrategyOutcome(REFERENCE, plan, why)
        )

    def _rollout_order(
        self, request: Request, occupancy: Occupancy, opts: list[Option], plans: list[Plan]
    ) -> list[Plan]:
        """Put first the plan, among the engine's best few and smallest-fit's, after which the
        prior's sampled later requests seat the most covers (ties keep the engine's order)."""
        rank = self.floor.zone_rank
        snug = min(
            opts, key=lambda o: (o.candidate.max_covers, o.candidate.size, rank[o.candidate.zone], o.tables)
        )
        contenders = [p.tables for p in plans[: int(self.weights.rollout_plans)]]
        if snug.tables not in contenders:
            contenders.append(snug.tables)
        if len(contenders) < 2:
            return plans
        rollouts = self._rollouts
        assert rollouts is not None  # only called when rollouts are on
        draws = rollouts.draw(request)
        if not draws:
            return plans
        memo: dict[Any, Any] = {}
        best, best_covers, first_covers = contenders[0], -1, 0
        for i, tables in enumerate(contenders):
            covers = rollouts.covers(occupancy, draws, [(tables, request.start, request.end)], memo=memo)
            if i == 0:
                first_covers = covers
            if covers > best_covers:
                best, best_covers = tables, covers
        if best == contenders[0]:
            return plans
        n = len(draws)
        why = (
            f"look-ahead: the prior's sampled later requests seat {best_covers / n:.1f} covers after it, "
            f"{first_covers / n:.1f} after {'+'.join(contenders[0])}"
        )
        chosen = next((p for p in plans if p.tables == best), None)
        if chosen is None:
            o = next(o for o in opts if o.tables == best)
            chosen = _plan(o, ROLLOUT, why)
        else:
            chosen = Plan(
                chosen.tables, chosen.strategy, chosen.score, chosen.breakdown, f"{chosen.reason}; {why}"
            )
        return [chosen, *(p for p in plans if p.tables != best)][: max(self.max_plans, len(plans))]

    def plan_capacity(self, request: Request, tables: Sequence[str], occupancy: Occupancy) -> float | None:
        """The capacity cost (expected later covers, the ranking's own currency) of seating `request`
        on `tables` given `occupancy` (which must not hold the request); None when that plan is not
        a free, valid shape for it."""
        wanted = tuple(sorted(tables))
        opts, _ = self.options(request, occupancy)
        return next((o.capacity for o in opts if o.tables == wanted), None)

    # -- capacity protection (opt-in) -------------------------------------------------------------
    def seats_taken(self, request: Request, occupancy: Occupancy) -> float:
        """Share of the floor's seats (max covers) at tables that are busy at some point of the window."""
        by_id = self.floor.table_by_id
        total = sum(t.max_covers for t in by_id.values())
        if not total:
            return 0.0
        busy = sum(
            t.max_covers for tid, t in by_id.items() if not occupancy.is_free(tid, request.start, request.end)
        )
        return busy / total

    def protection_refusal(
        self,
        request: Request,
        occupancy: Occupancy,
        opts: Sequence[Option],
        chosen: tuple[str, ...] | None = None,
    ) -> str | None:
        """Why capacity protection sends this booking to review, or None to seat it.

        It fires only when all three hold: the start is at the peak (demand intensity at least
        `protection_peak`), at least `protection_load` of the seats are taken over the window, and
        even the cheapest free plan costs more expected later covers (its capacity cost: empty
        seats, joined tables, dead time, displaced later demand) than `protection_margin` x the
        party. Below the load threshold it never fires.

        With `protection_samples` set, the expected later covers are played forward instead
        (rollout.py): the same later requests drawn from the prior are seated with and without the
        engine's chosen plan (`chosen`, else the cheapest), and the plan costs the covers they lose.
        """
        w = self.weights
        if not w.protects or not opts:
            return None
        if self.demand.intensity_at(request.start) < w.protection_peak:
            return None
        cheapest = min(opts, key=lambda o: (o.capacity, o.tables))
        if w.protection_samples >= 1:
            target = next((o for o in opts if o.tables == chosen), cheapest)
            load = self.seats_taken(request, occupancy)
            if load < w.protection_load:
                return None
            cost = self._played_cost(request, occupancy, target.tables)
        else:
            target, cost = cheapest, cheapest.capacity
            if cost <= w.protection_margin * request.party_size:
                return None
            load = self.seats_taken(request, occupancy)
            if load < w.protection_load:
                return None
        if cost <= w.protection_margin * request.party_size:
            return None
        return (
            f"capacity protection: seating {request.party_size} on {self._describe(target, request, occupancy)} "
            f"at {request.start // 60 % 24:02d}:{request.start % 60:02d} would cost an expected "
            f"{cost:.1f} later covers ({load:.0%} of seats taken over the window)"
        )

    def _played_cost(self, request: Request, occupancy: Occupancy, tables: tuple[str, ...]) -> float:
        """Later covers lost by seating `request` on `tables`, averaged over rollouts from the prior."""
        w = self.weights
        if self._protection_rollouts is None:
            arrivals = max(1, round(w.protection_arrivals * len(self.floor.table_ids)))
            self._protection_rollouts = Rollouts(self.floor, self.demand, int(w.protection_samples), arrivals)
        rollouts = self._protection_rollouts
        draws = rollouts.draw(request)
        if not draws:
            return 0.0
        return rollouts.lost(occupancy, draws, tables, request.start, request.end) / len(draws)

    def _describe(self, o: Option, request: Request, occupancy: Occupancy) -> str:
        by_id = self.floor.table_by_id
        if o.extra_tables:
            return f"{' + '.join(o.tables)} joined ({o.candidate.max_covers} seats)"
        cap = o.candidate.max_covers
        same = [
            tid
            for tid, t in by_id.items()
            if t.max_covers == cap and occupancy.is_free(tid, request.start, request.end)
        ]
        last = "the last free " if len(same) == 1 else ""
        return f"{last}{cap}-top {o.tables[0]}"


def _plan(o: Option, strategy: str, reason: str) -> Plan:
    return Plan(
        tables=o.tables, strategy=strategy, score=o.cost, breakdown=dict(o.breakdown or {}), reason=reason
    )
