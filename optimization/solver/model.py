"""The exact day model (OR-Tools CP-SAT), pure Python, no Django.

One boolean per (booking, plan shape); shapes come from the engine's own enumeration, so the
model obeys exactly the plan rules the engine does. Per table, bookings whose windows overlap form
cliques (found by a sweep over start times, exact for interval graphs); in each clique at most one
chosen shape may use the table.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ortools.sat.python import cp_model

from assignments.engine import Floor, Request, Weights
from assignments.engine.scoring import static_cost

T = TypeVar("T")
# booking id -> its possible table sets, each with the model's 0/1 variable for choosing it
Choices = dict[str, list[tuple[tuple[str, ...], Any]]]

STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass(frozen=True)
class Solution:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    covers: int  # covers seated by `assignment`
    bound: float  # best proven upper bound on covers (max mode); covers when solved to optimality
    seconds: float
    assignment: dict[str, tuple[str, ...]] = field(default_factory=dict)
    moved: int | None = None  # bookings whose tables differ from `current` (when given)
    work: float = 0.0  # CP-SAT's deterministic time spent (the unit of `deterministic_time`)

    @property
    def solved(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


def _shapes(floor: Floor, r: Request) -> list[tuple[str, ...]]:
    return [c.tables for c in floor.candidates_for(r.party_size, r.accessible)]


def overlap_cliques(intervals: Sequence[tuple[int, int, T]]) -> list[list[T]]:
    """Maximal sets of pairwise-overlapping half-open intervals (start, end, key).

    A sweep over start times: a clique is emitted whenever the next event is an end (or the sweep is
    over), i.e. when the set of active intervals is about to shrink. Ends sort before starts at the
    same minute because [a, b) and [b, c) do not overlap.
    """
    events = []
    for i, (s, e, _key) in enumerate(intervals):
        events.append((s, 1, i))
        events.append((e, 0, i))
    events.sort()
    active: dict[int, None] = {}
    cliques: list[list[T]] = []
    grew = False
    for _minute, kind, i in events:
        if kind == 1:
            active[i] = None
            grew = True
        else:
            if grew and len(active) > 1:
                cliques.append([intervals[j][2] for j in sorted(active)])
            grew = False
            active.pop(i, None)
    return cliques


def spread_order(table_id: str) -> tuple[int, str]:
    """A fixed order of tables that mixes zones and rows (a checksum, not Python's per-process hash). The
    order of the model's constraints changes how fast CP-SAT gets through it: proving sample-medium's
    optimum takes about 3 s of CPU in this order, 5-6 s in alphabetical order (rows kept together)."""
    return zlib.crc32(table_id.encode()), table_id


def by_name(table_id: str) -> str:
    """Alphabetical: the order the re-seat searches build their models in (docs/benchmarks/engine.md measured
    them so)."""
    return table_id


def table_reach(floor: Floor, request: Request) -> frozenset[str]:
    """Every table some plan of the request could use."""
    return frozenset(
        t for c in floor.candidates_for(request.party_size, request.accessible) for t in c.tables
    )


def interacting_groups(floor: Floor, requests: Sequence[Request]) -> list[list[Request]]:
    """The requests split into groups that never compete for a table: two requests are linked when
    their windows overlap and some table is in both one's and the other's plans, and a group is a
    connected set of links. Each group can be solved on its own (the model has no constraint
    across groups); groups come in the order of their first request, each in the given order."""
    parent = list(range(len(requests)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_table: dict[str, list[tuple[int, int, int]]] = {}
    for i, r in enumerate(requests):
        for t in table_reach(floor, r):
            by_table.setdefault(t, []).append((r.start, r.end, i))
    for spans in by_table.values():
        spans.sort()
        reach_end, head = -1, -1
        for start, end, i in spans:
            if start < reach_end:  # overlaps the span reaching furthest so far: linked
                a, b = find(head), find(i)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            if end > reach_end:
                reach_end, head = end, i
    groups: dict[int, list[Request]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(find(i), []).append(r)
    return [groups[k] for k in sorted(groups)]


def _build(
    floor: Floor,
    requests: Sequence[Request],
    fixed: Mapping[str, Sequence[str]] | None,
    table_order: Callable[[str], Any] = spread_order,
) -> tuple[cp_model.CpModel, dict[str, list[tuple[tuple[str, ...], cp_model.IntVar]]]]:
    """The model, built in the same order in every process (`table_order` over tables, never a set's hash
    order): with a search cut short by a deterministic budget, the answer depends on it."""
    model = cp_model.CpModel()
    choices: dict[str, list[tuple[tuple[str, ...], cp_model.IntVar]]] = {}
    by_table: dict[str, list[tuple[int, int, str]]] = {}
    uses: dict[tuple[str, str], list[cp_model.IntVar]] = {}
    fixed = fixed or {}
    for r in requests:
        if r.booking_id in fixed:
            shapes = [tuple(sorted(fixed[r.booking_id]))]  # pinned, even if the floor has changed since
        else:
            shapes = _shapes(floor, r)
        opts = []
        for tables in shapes:
            x = model.NewBoolVar(f"x[{r.booking_id},{'+'.join(tables)}]")
            opts.append((tables, x))
            for t in tables:
                uses.setdefault((r.booking_id, t), []).append(x)
        choices[r.booking_id] = opts
        if opts:
            model.AddAtMostOne(x for _t, x in opts)
        for t in sorted({t for tables in shapes for t in tables}, key=table_order):
            by_table.setdefault(t, []).append((r.start, r.end, r.booking_id))
    for t, spans in by_table.items():
        for clique in overlap_cliques(spans):
            model.AddAtMostOne(x for bid in clique for x in uses[(bid, t)])
    for bid in sorted(fixed):
        if bid in choices:
            model.Add(sum(x for _t, x in choices[bid]) == 1)
    return model, choices


def _solve(
    model: cp_model.CpModel,
    time_limit: float,
    num_workers: int,
    seed: int = 0,
    deterministic_time: float | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[cp_model.CpSolver, int]:
    """Solve with a wall-clock limit, and with `deterministic_time` (CP-SAT's work units, about a
    second each on a quiet core) also a budget that a loaded machine cannot shorten: with one
    worker and the same model, the same answer. `params` (CP-SAT parameter names) go on top."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = max(0.0, float(deterministic_time))
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    # Proving that a busy evening cannot take one more party is a pigeonhole argument: the LP
    # relaxation settles it at once, clause learning alone may not. On few cores make sure a
    # worker runs with the full linear relaxation.
    if num_workers == 1:
        solver.parameters.linearization_level = 2
    elif num_workers == 2:
        solver.parameters.subsolvers.extend(["max_lp", "quick_restart"])
    for key, value in (params or {}).items():
        setattr(solver.parameters, key, value)
    status = solver.Solve(model)
    return solver, status


def _read(solver: cp_model.CpSolver, choices: Choices) -> dict[str, tuple[str, ...]]:
    out = {}
    for bid, opts in choices.items():
        for tables, x in opts:
            if solver.Value(x):
                out[bid] = tables
                break
    return out


def _hint(model: cp_model.CpModel, choices: Choices, current: Mapping[str, Sequence[str]] | None) -> None:
    if not current:
        return
    for bid, opts in choices.items():
        cur = tuple(sorted(current.get(bid, ())))
        for tables, x in opts:
            model.AddHint(x, 1 if tables == cur else 0)


def solve_max_covers(
    floor: Floor,
    requests: Sequence[Request],
    *,
    fixed: Mapping[str, Sequence[str]] | None = None,
    current: Mapping[str, Sequence[str]] | None = None,
    time_limit: float = 10.0,
    num_workers: int = 2,
    secondary: bool = False,
    deterministic_time: float | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> Solution:
    """Seat the most covers. `fixed` bookings keep exactly their tables (and are seated);
    `current` seeds the search. With `secondary`, ties in covers go to fewer empty seats, then
    fewer joined tables (never at the expense of a cover). `deterministic_time` (with
    `num_workers=1`): a budget in CP-SAT's work units, so the answer does not depend on the machine's
    load; `time_limit` stays as a wall-clock safety. `solver_params`: CP-SAT parameters on top."""
    t0 = time.perf_counter()
    model, choices = _build(floor, requests, fixed)
    party = {r.booking_id: r.party_size for r in requests}
    covers_expr = sum(party[bid] * x for bid, opts in choices.items() for _t, x in opts)
    slack = 0
    if secondary:
        cap = {t.id: t.max_covers for t in floor.tables}
        terms: list[Any] = []
        worst = 0
        for bid, opts in choices.items():
            costs = [
                (sum(cap.get(t, 0) for t in tables) - party[bid]) * 4 + (len(tables) - 1)
                for tables, _x in opts
            ]
            worst += max(costs, default=0)
            terms.extend(c * x for c, (_t, x) in zip(costs, opts))
        slack = worst
        scale = worst + 1
        model.Maximize(scale * covers_expr - sum(terms))
    else:
        scale = 1
        model.Maximize(covers_expr)
    _hint(model, choices, current)
    solver, status = _solve(
        model, time_limit, num_workers, deterministic_time=deterministic_time, params=solver_params
    )
    name = STATUS.get(status, str(status))
    assignment = _read(solver, choices) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else {}
    covers = sum(party[b] for b in assignment)
    if status == cp_model.OPTIMAL:
        bound = float(covers)
    elif status == cp_model.FEASIBLE:
        bound = float(int((solver.BestObjectiveBound() + slack) // scale))
    else:
        bound = float("nan")
    return Solution(
        status=name,
        covers=covers,
        bound=bound,
        seconds=round(time.perf_counter() - t0, 3),
        assignment=assignment,
        moved=_moved(assignment, current),
    )


def solve_seat_all(
    floor: Floor,
    requests: Sequence[Request],
    *,
    fixed: Mapping[str, Sequence[str]] | None = None,
    current: Mapping[str, Sequence[str]] | None = None,
    minimize_moves: bool = False,
    time_limit: float = 5.0,
    num_workers: int = 2,
    deterministic_time: float | None = None,
    solver_params: Mapping[str, Any] | None = None,
    table_order: Callable[[str], Any] = spread_order,
) -> Solution:
    """Feasibility: seat every request (fixed ones on exactly their tables).

    With `current` and `minimize_moves`, among the arrangements that seat everyone prefer the one
    that changes the fewest bookings' tables; without `minimize_moves`, `current` is only a hint.
    INFEASIBLE means no arrangement exists; UNKNOWN means the time limit (or the
    `deterministic_time` budget, see `solve_max_covers`) ran out first.
    With `num_workers=1` and a `deterministic_time` the same input gives the same answer unless the
    wall clock (`time_limit`) runs out first; `table_order` fixes the order the model is built in.
    """
    t0 = time.perf_counter()
    model, choices = _build(floor, requests, fixed, table_order=table_order)
    for opts in choices.values():
        if not opts:
            return Solution("INFEASIBLE", 0, float("nan"), round(time.perf_counter() - t0, 3), {}, None)
        model.AddExactlyOne(x for _t, x in opts)
    if current and minimize_moves:
        # Fewest moves first; among those, the moved and new bookings on the snuggest plans (fewest
        # empty seats, then fewest joined tables), so a move never spends a big table it need not.
        party = {r.booking_id: r.party_size for r in requests}
        cap = {t.id: t.max_covers for t in floor.tables}
        keep, waste = [], []
        worst = 0
        for bid, opts in choices.items():
            cur = tuple(sorted(current.get(bid, ())))
            costs = [
                (sum(cap.get(t, 0) for t in tables) - party[bid]) * 4 + (len(tables) - 1)
                for tables, _x in opts
            ]
            worst += max(costs, default=0)
            for (tables, x), c in zip(opts, costs):
                if tables == cur:
                    keep.append(x)
                elif c:
                    waste.append(c * x)
        model.Maximize((worst + 1) * sum(keep) - sum(waste))
    _hint(model, choices, current)
    solver, status = _solve(
        model, time_limit, num_workers, deterministic_time=deterministic_time, params=solver_params
    )
    name = STATUS.get(status, str(status))
    assignment = _read(solver, choices) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else {}
    party = {r.booking_id: r.party_size for r in requests}
    covers = sum(party[b] for b in assignment)
    return Solution(
        status=name,
        covers=covers,
        bound=float(covers) if assignment else float("nan"),
        seconds=round(time.perf_counter() - t0, 3),
        assignment=assignment,
        moved=_moved(assignment, current),
        work=solver.deterministic_time,
    )


def _moved(
    assignment: Mapping[str, tuple[str, ...]], current: Mapping[str, Sequence[str]] | None
) -> int | None:
    if current is None:
        return None
    return sum(
        1 for bid, tables in current.items() if bid in assignment and assignment[bid] != tuple(sorted(tables))
    )


def plan_cost(floor: Floor, request: Request, tables: Sequence[str], weights: Weights) -> float:
    """The engine's time-independent plan terms (`scoring.static_cost`) for one booking on `tables`, with its
    weights: empty seats, tables beyond the first, the guest's zone wish, the restaurant's zone ranking. (The
    engine's other terms, gap waste, lookahead and zone load, depend on the order bookings arrive in, which
    a whole-day plan does not have.)"""
    specs = [floor.table_by_id[t] for t in tables if t in floor.table_by_id]
    if not specs:
        return 0.0
    zone = specs[0].zone
    return static_cost(
        weights,
        empty_seats=max(0, sum(s.max_covers for s in specs) - request.party_size),
        extra_tables=len(specs) - 1,
        zone_mismatch=int(request.preferred_zone is not None and zone != request.preferred_zone),
        zone_rank=floor.zone_rank.get(zone, 0),
    )


COST_SCALE = 100  # plan costs enter the model as integers in hundredths


def solve_day_plan(
    floor: Floor,
    requests: Sequence[Request],
    *,
    fixed: Mapping[str, Sequence[str]] | None = None,
    current: Mapping[str, Sequence[str]] | None = None,
    optional: Iterable[str] = (),
    cost: Callable[[Request, tuple[str, ...]], float] | None = None,
    time_limit: float = 10.0,
    num_workers: int = 1,
) -> Solution:
    """A whole day's plan, lexicographically: the most covers, then the lowest plan cost, then the
    fewest moves.

    Every request not in `optional` must be seated (fixed ones on exactly their tables); an optional
    one may stay unseated. `cost(request, tables) -> float` is the plan cost of one choice (default 0).
    A move is a request of `current` whose tables change. Two solves: covers first (seeded with
    `current`), then, with covers held at least at that value, cost x (moves + 1) + moves. With
    `num_workers=1` (the default) the same input gives the same plan unless the time limit cuts a
    search short. `bound` is the proven upper bound on covers from the first solve (70% of the time).
    """
    t0 = time.perf_counter()
    optional = set(optional)
    current = {bid: tuple(sorted(t)) for bid, t in (current or {}).items()}
    model, choices = _build(floor, requests, fixed)
    party = {r.booking_id: r.party_size for r in requests}
    for bid, opts in choices.items():
        if bid in optional:
            continue
        if not opts:
            return Solution("INFEASIBLE", 0, float("nan"), round(time.perf_counter() - t0, 3), {}, None)
        model.AddExactlyOne(x for _t, x in opts)
    covers_expr = sum(party[bid] * x for bid, opts in choices.items() for _t, x in opts)
    model.Maximize(covers_expr)
    _hint(model, choices, current)
    first_limit = max(0.05, time_limit * 0.7)  # covers matter most, and proving them takes longest
    solver, status = _solve(model, first_limit, num_workers)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(
            STATUS.get(status, str(status)), 0, float("nan"), round(time.perf_counter() - t0, 3), {}, None
        )
    best_covers = int(round(solver.ObjectiveValue()))
    bound = float(best_covers) if status == cp_model.OPTIMAL else float(int(solver.BestObjectiveBound()))
    first = _read(solver, choices)
    first_optimal = status == cp_model.OPTIMAL

    # Second solve: covers held, cost then moves.
    by_id = {r.booking_id: r for r in requests}
    model.ClearObjective()
    model.ClearHints()
    model.Add(covers_expr >= best_covers)
    movable = [bid for bid in current if bid in choices and bid not in (fixed or {})]
    factor = len(movable) + 1
    terms = []
    for bid, opts in choices.items():
        for tables, x in opts:
            c = (
                int(round(COST_SCALE * cost(by_id[bid], tables)))
                if cost is not None and bid not in (fixed or {})
                else 0
            )
            moved = int(bid in current and bid not in (fixed or {}) and tables != current[bid])
            if c * factor + moved:
                terms.append((c * factor + moved) * x)
    # An unseated booking of `current` (optional ones only) counts as moved too.
    for bid in movable:
        if bid in optional:
            terms.append(1 - sum(x for _t, x in choices[bid]))
    model.Minimize(sum(terms))
    for bid, opts in choices.items():
        chosen = first.get(bid)
        for tables, x in opts:
            model.AddHint(x, 1 if tables == chosen else 0)
    remaining = max(0.05, time_limit - (time.perf_counter() - t0))
    solver2, status2 = _solve(model, remaining, num_workers)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        assignment = _read(solver2, choices)
        name = "OPTIMAL" if status2 == cp_model.OPTIMAL and first_optimal else "FEASIBLE"
    else:
        assignment = first
        name = "FEASIBLE"
    covers = sum(party[b] for b in assignment)
    return Solution(
        status=name,
        covers=covers,
        bound=bound,
        seconds=round(time.perf_counter() - t0, 3),
        assignment=assignment,
        moved=_moved(assignment, current) if current else 0,
    )
