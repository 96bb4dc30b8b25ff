"""The engine benchmark as pure functions: scenario -> engine input, online replays, references.

The management command `bench_engine` is a thin shell around `bench_scenario`.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assignments.engine import (
    DemandProfile,
    Engine,
    Floor,
    Occupancy,
    Plan,
    Request,
    TableSpec,
    Weights,
    first_fit,
    smallest_fit,
)
from assignments.engine.reference import ReferenceLayout
from assignments.scenario import Scenario
from assignments.stats import percentile

Assigner = Callable[[Request, Occupancy], Plan | None]


# -- conversion ---------------------------------------------------------------------------------
def scenario_floor(scenario: Scenario) -> Floor:
    return Floor(
        tables=tuple(
            TableSpec(t.id, t.zone, t.min_covers, t.max_covers, t.combinable, t.accessible)
            for t in scenario.tables
        ),
        adjacency=tuple(scenario.adjacency),
        zone_priority={z.id: z.priority for z in scenario.zones},
        max_combination_tables=scenario.restaurant.max_combination_tables,
    )


def scenario_requests(scenario: Scenario) -> list[Request]:
    """Requests in arrival order; each window includes the restaurant's buffer."""
    buffer = scenario.restaurant.buffer_minutes
    return [
        Request(
            booking_id=b.id,
            party_size=b.party_size,
            start=b.start_minute,
            end=b.start_minute + b.duration_minutes + buffer,
            preferred_zone=b.preferred_zone,
            accessible=b.accessible,
        )
        for b in scenario.bookings_by_arrival()
    ]


def scenario_demand(scenario: Scenario, base: DemandProfile | None = None) -> DemandProfile:
    """The generic prior, told the restaurant's opening hours and shortest turn (never its bookings)."""
    base = base or DemandProfile()
    r = scenario.restaurant
    shortest = min(r.turn_minutes.values()) + r.buffer_minutes
    opens = min(p.start_minute for p in r.service_periods)
    closes = max(p.end_minute for p in r.service_periods)
    return DemandProfile(
        party_mix=base.party_mix,
        hourly_mix=base.hourly_mix,
        intensity=base.intensity,
        shortest_window=shortest,
        opens=opens,
        closes=closes,
        turns={p: r.turn_for(p) + r.buffer_minutes for p in base.party_mix},
    )


# -- the plan checker ---------------------------------------------------------------------------
def check_assignment(scenario: Scenario, assignment: Mapping[str, Sequence[str]]) -> list[str]:
    """Every way an assignment breaks the scenario rules, independently of the engine's code."""
    problems: list[str] = []
    tables = {t.id: t for t in scenario.tables}
    bookings = {b.id: b for b in scenario.bookings}
    edges = {frozenset(e) for e in scenario.adjacency}
    limit = scenario.restaurant.max_combination_tables
    buffer = scenario.restaurant.buffer_minutes
    busy: dict[str, list[tuple[int, int, str]]] = {}
    for bid, tids in sorted(assignment.items()):
        b = bookings.get(bid)
        if b is None:
            problems.append(f"{bid}: unknown booking")
            continue
        tids = list(tids)
        if not tids:
            problems.append(f"{bid}: no tables")
            continue
        if len(set(tids)) != len(tids):
            problems.append(f"{bid}: a table listed twice")
        unknown = [t for t in tids if t not in tables]
        if unknown:
            problems.append(f"{bid}: unknown table(s) {unknown}")
            continue
        specs = [tables[t] for t in tids]
        if len(specs) == 1:
            t = specs[0]
            if not (t.min_covers <= b.party_size <= t.max_covers):
                problems.append(f"{bid}: party {b.party_size} outside {t.id} {t.min_covers}-{t.max_covers}")
        else:
            if len(specs) > limit:
                problems.append(f"{bid}: {len(specs)} tables joined, limit {limit}")
            if not all(t.combinable for t in specs):
                problems.append(f"{bid}: joins a table that is not combinable")
            if len({t.zone for t in specs}) != 1:
                problems.append(f"{bid}: joins tables across zones")
            if sum(t.max_covers for t in specs) < b.party_size:
                problems.append(f"{bid}: combination seats fewer than {b.party_size}")
            reached, frontier = {tids[0]}, [tids[0]]
            while frontier:
                cur = frontier.pop()
                for other in tids:
                    if other not in reached and frozenset((cur, other)) in edges:
                        reached.add(other)
                        frontier.append(other)
            if len(reached) != len(tids):
                problems.append(f"{bid}: combination not connected")
        if b.accessible and not all(t.accessible for t in specs):
            problems.append(f"{bid}: needs accessible tables")
        for t in tids:
            busy.setdefault(t, []).append((b.start_minute, b.start_minute + b.duration_minutes + buffer, bid))
    for t, spans in sorted(busy.items()):
        spans.sort()
        for (_s1, e1, b1), (s2, _e2, b2) in zip(spans, spans[1:]):
            if s2 < e1:
                problems.append(f"{t}: {b1} and {b2} overlap")
    return problems


# -- online replay ------------------------------------------------------------------------------
@dataclass
class ReplayResult:
    name: str
    assignment: dict[str, tuple[str, ...]]
    covers_requested: int
    covers_seated: int
    to_review: int
    preferred_total: int
    preferred_honoured: int
    latencies_ms: list[float]
    candidates_evaluated: int = 0
    wins: Counter = field(default_factory=Counter)
    reseats: int = 0  # bookings seated only thanks to re-seating others (engine_reseat)
    moves: int = 0  # bookings moved to make those room
    declined: int = 0  # re-seats found but not applied: the expected later covers lost outweighed the party
    reseat_searches: list[tuple[str, float, float]] = field(default_factory=list)  # (outcome, seconds, work)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        total_s = sum(lat) / 1000.0
        return {
            "covers_requested": self.covers_requested,
            "covers_seated": self.covers_seated,
            "seated_ratio": _ratio(self.covers_seated, self.covers_requested),
            "to_review": self.to_review,
            "preferred_zone_honoured_pct": round(100.0 * self.preferred_honoured / self.preferred_total, 1)
            if self.preferred_total
            else None,
            "p50_ms": round(percentile(lat, 50), 4),
            "p99_ms": round(percentile(lat, 99), 4),
            "plans_per_s": round(self.candidates_evaluated / total_s)
            if total_s and self.candidates_evaluated
            else None,
            "decisions_per_s": round(len(lat) / total_s) if total_s else None,
            "wins": dict(sorted(self.wins.items())),
            "reseats": self.reseats,
            "moves": self.moves,
            "declined": self.declined,
            **(_search_figures(self.reseat_searches) if self.reseat_searches else {}),
        }


def _search_figures(searches: Sequence[tuple[str, float, float]]) -> dict[str, Any]:
    """The re-seat searches of a replay: how many ended which way, and what they cost in wall-clock
    seconds and in CP-SAT deterministic time."""
    secs = sorted(s for _o, s, _w in searches)
    work = sorted(w for _o, _s, w in searches)
    return {
        "reseat_searches": dict(sorted(Counter(o for o, _s, _w in searches).items())),
        "reseat_search_s": {
            "p50": round(percentile(secs, 50), 3),
            "p99": round(percentile(secs, 99), 3),
            "max": round(secs[-1], 3),
            "total": round(sum(secs), 1),
        },
        "reseat_search_work": {"p50": round(percentile(work, 50), 3), "max": round(work[-1], 3)},
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _seated_and_zones(
    floor: Floor, requests: Sequence[Request], assignment: Mapping[str, Sequence[str]]
) -> tuple[int, int, int]:
    """Covers seated, bookings that named a zone, and those seated in it."""
    seated = named = honoured = 0
    for r in requests:
        named += r.preferred_zone is not None
        tables = assignment.get(r.booking_id)
        if tables:
            seated += r.party_size
            honoured += r.preferred_zone is not None and floor.table_by_id[tables[0]].zone == r.preferred_zone
    return seated, named, honoured


def engine_assigner(
    engine: Engine, wins: Counter | None = None, counter: list[int] | None = None
) -> Assigner:
    # The day's reference layout (assignments/engine/reference.py), fed every request in arrival order
    # as the pipeline feeds it the day's bookings.
    layout = ReferenceLayout(engine.floor) if engine.weights.follows_reference else None

    def assign(request: Request, occupancy: Occupancy) -> Plan | None:
        reference = (
            layout.add(request) if layout is not None else None
        )  # its own floor: fed before or after, alike
        decision = engine.decide(request, occupancy, reference=reference)
        if counter is not None:
            counter[0] += decision.candidates_evaluated
        plan = decision.best
        if plan is not None and wins is not None:
            wins[plan.strategy] += 1
        return plan

    return assign


def replay(
    scenario: Scenario, name: str, make: Callable[[Floor], Assigner], floor: Floor | None = None
) -> ReplayResult:
    """Online: arrival order, each request decided before the next is seen, tables kept."""
    floor = floor or scenario_floor(scenario)
    requests = scenario_requests(scenario)
    assign = make(floor)
    occupancy = Occupancy(floor)
    assignment: dict[str, tuple[str, ...]] = {}
    latencies: list[float] = []
    for r in requests:
        t0 = time.perf_counter()
        plan = assign(r, occupancy)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        if plan is None:
            continue
        occupancy.add(plan.tables, r.start, r.end, r.booking_id)
        assignment[r.booking_id] = plan.tables
    seated, pref_total, pref_ok = _seated_and_zones(floor, requests, assignment)
    return ReplayResult(
        name=name,
        assignment=assignment,
        covers_requested=sum(r.party_size for r in requests),
        covers_seated=seated,
        to_review=len(requests) - len(assignment),
        preferred_total=pref_total,
        preferred_honoured=pref_ok,
        latencies_ms=latencies,
    )


def replay_engine(
    scenario: Scenario,
    weights: Weights | None = None,
    strategies=None,
    demand: DemandProfile | None = None,
    name: str = "engine",
) -> ReplayResult:
    floor = scenario_floor(scenario)
    engine = Engine(floor, weights=weights, strategies=strategies, demand=demand or scenario_demand(scenario))
    wins: Counter = Counter()
    counter = [0]
    result = replay(scenario, name, lambda f: engine_assigner(engine, wins, counter), floor=floor)
    result.wins = wins
    result.candidates_evaluated = counter[0]
    return result


def replay_engine_reseat(
    scenario: Scenario,
    weights: Weights | None = None,
    *,
    time_limit: float = 60.0,
    deterministic_limit: float | None = None,
    freeze_minutes: int = 60,
    num_workers: int = 1,
    payoff_margin: float | None = 1.0,
    payoff_draws_per_table: float | None = None,
    payoff_slope: float | None = None,
    payoff_confidence: float | None = None,
    name: str = "engine_reseat",
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """The engine, and when it finds no plan, `optimization.solver.reseat.reseat_plan` (benchmarks.md:
    re-seat bookings that have not started so that the new one fits, fewest moves), applied only
    when it pays off (`reseat_pays_off` with `payoff_margin` and `payoff_confidence`, default the
    solver's PAYOFF_CONFIDENCE, the pipeline's too; a margin of None re-seats whenever it can).

    A replay has no clock (every request arrives before service), so "about to start" is read as:
    the accepted bookings that start within `freeze_minutes` of the earliest start among them are
    frozen; everything else may move. A re-seat solve that runs out of its budget counts as no: each
    solve stops at `deterministic_limit` (CP-SAT deterministic time; default the solver's
    `DETERMINISTIC_LIMIT`, the pipeline's too), so with one worker the replay does not depend on how
    busy the machine is; `time_limit` (wall clock) is only a safety net and should not be reached.
    """
    from optimization.solver.reseat import (
        DETERMINISTIC_LIMIT,
        PAYOFF_BASE,
        PAYOFF_CONFIDENCE,
        PAYOFF_SLOPE,
        RECENT_REQUESTS,
        DayPressure,
        later_arrivals_per_table,
        reseat_pays_off,
        reseat_search,
    )
    from optimization.solver.reseat import moves as moved_of

    if deterministic_limit is None:
        deterministic_limit = DETERMINISTIC_LIMIT

    floor = scenario_floor(scenario)
    engine = Engine(floor, weights=weights, demand=scenario_demand(scenario))
    requests = scenario_requests(scenario)
    by_id = {r.booking_id: r for r in requests}
    occupancy = Occupancy(floor)
    assignment: dict[str, tuple[str, ...]] = {}
    latencies: list[float] = []
    wins: Counter = Counter()
    reseats = n_moves = evaluated = declined = 0
    searches: list[tuple[str, float, float]] = []
    recent: deque[bool] = deque(maxlen=RECENT_REQUESTS)  # the latest requests: did the engine refuse them?
    base = PAYOFF_BASE if payoff_draws_per_table is None else payoff_draws_per_table
    slope = PAYOFF_SLOPE if payoff_slope is None else payoff_slope
    confidence = PAYOFF_CONFIDENCE if payoff_confidence is None else payoff_confidence
    layout = ReferenceLayout(floor) if engine.weights.follows_reference else None  # as the pipeline keeps it
    for i, r in enumerate(requests):
        if progress:
            progress(i, len(requests))
        t0 = time.perf_counter()
        reference = layout.add(r) if layout is not None else None
        decision = engine.decide(r, occupancy, reference=reference)
        evaluated += decision.candidates_evaluated
        plan = decision.best
        pressure = DayPressure(decided=len(recent), refused=sum(recent))
        if floor.candidates_for(r.party_size, r.accessible):
            recent.append(plan is None)
        if plan is not None:
            wins[plan.strategy] += 1
            occupancy.add(plan.tables, r.start, r.end, r.booking_id)
            assignment[r.booking_id] = plan.tables
        elif assignment and floor.candidates_for(r.party_size, r.accessible):
            first = min(by_id[b].start for b in assignment)
            frozen = {b for b in assignment if by_id[b].start < first + freeze_minutes}
            search = reseat_search(
                floor,
                assignment,
                by_id,
                r,
                frozen,
                time_limit=time_limit,
                num_workers=num_workers,
                deterministic_limit=deterministic_limit,
            )
            searches.append((search.outcome, search.seconds, search.work))
            new = search.plan
            if (
                new is not None
                and payoff_margin is not None
                and not reseat_pays_off(
                    engine,
                    assignment,
                    by_id,
                    r,
                    new,
                    margin=payoff_margin,
                    confidence=confidence,
                    pressure=pressure,
                    arrivals_per_table=later_arrivals_per_table(pressure, base=base, slope=slope),
                )
            ):
                declined += 1
                new = None
            if new is not None:
                reseats += 1
                n_moves += len(moved_of(assignment, new))
                assignment = dict(new)
                occupancy = Occupancy(floor)
                for bid, tables in assignment.items():
                    occupancy.add(tables, by_id[bid].start, by_id[bid].end, bid)
        latencies.append((time.perf_counter() - t0) * 1000.0)
    seated, pref_total, pref_ok = _seated_and_zones(floor, requests, assignment)
    return ReplayResult(
        name=name,
        assignment=assignment,
        covers_requested=sum(r.party_size for r in requests),
        covers_seated=seated,
        to_review=len(requests) - len(assignment),
        preferred_total=pref_total,
        preferred_honoured=pref_ok,
        latencies_ms=latencies,
        candidates_evaluated=evaluated,
        wins=wins,
        reseats=reseats,
        moves=n_moves,
        declined=declined,
        reseat_searches=searches,
    )


def replay_first_fit(scenario: Scenario) -> ReplayResult:
    return replay(scenario, "first_fit", lambda f: lambda r, occ: first_fit(f, r, occ))


def replay_smallest_fit(scenario: Scenario) -> ReplayResult:
    return replay(scenario, "smallest_fit", lambda f: lambda r, occ: smallest_fit(f, r, occ))


# -- references: the online limit and the offline optimum ---------------------------------------
# Budgets are CP-SAT deterministic time (work units, about a second each on a quiet core) with one
# worker, so the same file gives the same references on a loaded machine as on a quiet one.
# An arrival that has no free plan goes through these stages in turn until one decides it:
# - "lp": tree search with the full linear relaxation, no presolve: proves most "no arrangement"
#   answers at once (a busy evening that cannot take one more party is a pigeonhole argument,
#   which the LP settles and clause learning alone may not), and finds easy arrangements;
# - "ls": local search only, from the current arrangement (no presolve): finds a re-arrangement
#   when a repair suffices, in milliseconds where tree search can take minutes; it proves nothing;
# - "full": CP-SAT's presolve (about 1.5 units on a hundred bookings) and full LP, for the rest.
LP = {"cp_model_presolve": False, "linearization_level": 2}
LS = {"use_ls_only": True, "cp_model_presolve": False}
FULL: dict[str, Any] = {}
LIMIT_STAGES: tuple[tuple[str, float, Mapping[str, Any]], ...] = (
    ("lp", 0.5, LP),
    ("ls", 0.5, LS),
    ("full", 5.0, FULL),
    ("ls", 3.0, LS),
    ("full", 40.0, FULL),
)
OPTIMUM_BUDGET = 60.0  # per group of interacting bookings
WALL_FACTOR = 20.0  # wall-clock safety per solve: budget x this (+ 30 s); never meant to bind


@dataclass
class OnlineLimitResult:
    """First come, perfect re-seating, decided arrival by arrival.

    Every arrival is accepted (a placement of everything accepted plus it was found), rejected
    (an INFEASIBLE proof, or no plan shape on the floor fits the party) or undecided (every budget
    ran out). An undecided arrival is left out of the accepted set so that the replay can go on,
    which makes `covers_seated` a lower estimate: it is listed in `undecided_ids`, and `exact` is
    False, never folded into `rejected`."""

    assignment: dict[str, tuple[str, ...]]
    covers_seated: int
    covers_requested: int
    accepted: int
    rejected: int
    undecided: int
    solves: int
    seconds: float
    undecided_ids: list[str] = field(default_factory=list)
    decided_by: Counter = field(default_factory=Counter)

    @property
    def exact(self) -> bool:
        return self.undecided == 0

    def figures(self) -> dict[str, Any]:
        return {
            "covers_requested": self.covers_requested,
            "covers_seated": self.covers_seated,
            "seated_ratio": _ratio(self.covers_seated, self.covers_requested),
            "to_review": self.rejected + self.undecided,
            "rejected": self.rejected,
            "undecided": self.undecided,
            "undecided_ids": list(self.undecided_ids),
            "exact": self.exact,
            "decided_by": dict(sorted(self.decided_by.items())),
            "solves": self.solves,
            "seconds": round(self.seconds, 2),
        }


def _wall(budget: float) -> float:
    return budget * WALL_FACTOR + 30.0


def online_limit(
    scenario: Scenario,
    *,
    stages: Sequence[tuple[str, float, Mapping[str, Any]]] = LIMIT_STAGES,
    progress: Callable[[int, int], None] | None = None,
    resume: Mapping[str, Any] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> OnlineLimitResult:
    """First come, perfect re-seating (benchmarks.md, reference 2): accept an arrival when some
    re-arrangement of everything accepted so far plus it fits.

    Only the accepted bookings that compete with the arrival, directly or through a chain of
    bookings sharing tables and time (`interacting_groups`), can matter; the rest keep their
    tables. Cheapest proof first: (1) a free plan on the current arrangement (the engine's, else
    smallest-fit's); (2) when the bookings overlapping the arrival are a small part of its group,
    those alone with it (`relaxation`): no arrangement of them is a rejection, and one that agrees
    with everyone else's tables is an acceptance; (3) the whole group, exact, through `stages`
    (name, deterministic budget, CP-SAT parameters) until one finds an arrangement or proves there
    is none. CP-SAT runs with one worker and deterministic budgets, so the answer does not depend
    on the machine's load. Which placement a step finds does not change the accepted set (an
    arrival is accepted iff one exists), so the limit is exact when nothing is undecided.

    `checkpoint(state)` is called every 10 arrivals (and at the end) with a JSON-ready state that
    `resume` takes to go on from there (same file, same stages: same answer)."""
    from optimization.solver.model import interacting_groups, solve_seat_all, table_reach

    t0 = time.perf_counter()
    floor = scenario_floor(scenario)
    engine = Engine(floor, demand=scenario_demand(scenario))
    requests = scenario_requests(scenario)
    by_id = {r.booking_id: r for r in requests}
    accepted: list[Request] = []
    incumbent: dict[str, tuple[str, ...]] = {}
    undecided_ids: list[str] = []
    decided_by: Counter = Counter()
    rejected = solves = 0
    first = 0
    if resume:
        first = int(resume["next"])
        accepted = [by_id[b] for b in resume["accepted"]]
        incumbent = {b: tuple(t) for b, t in resume["incumbent"].items()}
        undecided_ids = list(resume["undecided_ids"])
        decided_by = Counter(resume["decided_by"])
        rejected, solves = int(resume["rejected"]), int(resume["solves"])
    occupancy = Occupancy(floor)
    for a in accepted:
        occupancy.add(incumbent[a.booking_id], a.start, a.end, a.booking_id)
    reach: dict[tuple[int, bool], frozenset[str]] = {}

    def reach_of(q: Request) -> frozenset[str]:
        key = (q.party_size, q.accessible)
        if key not in reach:
            reach[key] = table_reach(floor, q)
        return reach[key]

    def accept(r: Request, placement: Mapping[str, Sequence[str]], how: str) -> None:
        nonlocal occupancy
        accepted.append(r)
        moved = {b: tuple(sorted(t)) for b, t in placement.items() if tuple(sorted(t)) != incumbent.get(b)}
        incumbent.update(moved)
        decided_by[how] += 1
        if set(moved) == {r.booking_id}:
            occupancy.add(moved[r.booking_id], r.start, r.end, r.booking_id)
        else:
            occupancy = Occupancy(floor)
            for a in accepted:
                occupancy.add(incumbent[a.booking_id], a.start, a.end, a.booking_id)

    def state(nxt: int) -> dict[str, Any]:
        return {
            "next": nxt,
            "accepted": [a.booking_id for a in accepted],
            "incumbent": {b: list(t) for b, t in sorted(incumbent.items())},
            "undecided_ids": list(undecided_ids),
            "decided_by": dict(decided_by),
            "rejected": rejected,
            "solves": solves,
        }

    for i in range(first, len(requests)):
        r = requests[i]
        if progress:
            progress(i, len(requests))
        if checkpoint and i > first and i % 10 == 0:
            checkpoint(state(i))
        if not floor.candidates_for(r.party_size, r.accessible):
            rejected += 1
            decided_by["no_plan_shape"] += 1
            continue
        plan = engine.decide(r, occupancy).best or smallest_fit(floor, r, occupancy)
        if plan is not None:
            accept(r, {r.booking_id: plan.tables}, "free_plan")
            continue
        mine = reach_of(r)
        near = [a for a in accepted if a.start < r.end and r.start < a.end and reach_of(a) & mine]
        group = next(g for g in interacting_groups(floor, [*accepted, r]) if r in g)
        if stages and len(near) + 1 < 0.7 * len(group):  # the overlapping ones are a small part of the group
            solves += 1
            _name, budget, params = stages[0]
            relaxed = solve_seat_all(
                floor,
                [*near, r],
                current=incumbent,
                num_workers=1,
                deterministic_time=min(budget, 1.0),
                time_limit=_wall(budget),
                solver_params=params,
            )
            if relaxed.status == "INFEASIBLE":
                rejected += 1
                decided_by["relaxation_infeasible"] += 1
                continue
            if relaxed.solved:
                mixed = {**incumbent, **relaxed.assignment}
                if not _conflicts([by_id[b] for b in mixed], mixed):
                    accept(r, relaxed.assignment, "relaxation_fits")
                    continue
        verdict = None
        for n, (name, budget, params) in enumerate(stages):
            solves += 1
            exact = solve_seat_all(
                floor,
                group,
                current=incumbent,
                num_workers=1,
                deterministic_time=budget,
                time_limit=_wall(budget),
                solver_params=params,
            )
            if exact.solved:
                accept(r, exact.assignment, f"fits_{n}_{name}")
                verdict = "accepted"
                break
            if exact.status == "INFEASIBLE":
                rejected += 1
                decided_by[f"infeasible_{n}_{name}"] += 1
                verdict = "rejected"
                break
        if verdict is None:
            undecided_ids.append(r.booking_id)
            decided_by["undecided"] += 1
    if checkpoint:
        checkpoint(state(len(requests)))
    return OnlineLimitResult(
        assignment=dict(incumbent),
        covers_seated=sum(a.party_size for a in accepted),
        covers_requested=sum(r.party_size for r in requests),
        accepted=len(accepted),
        rejected=rejected,
        undecided=len(undecided_ids),
        solves=solves,
        seconds=time.perf_counter() - t0,
        undecided_ids=undecided_ids,
        decided_by=decided_by,
    )


def _conflicts(requests: Sequence[Request], assignment: Mapping[str, Sequence[str]]) -> bool:
    """Whether two of these bookings hold a table at overlapping times."""
    busy: dict[str, list[tuple[int, int]]] = {}
    for q in requests:
        for t in assignment.get(q.booking_id, ()):
            busy.setdefault(t, []).append((q.start, q.end))
    for spans in busy.values():
        spans.sort()
        if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
            return True
    return False


def offline_optimum(
    scenario: Scenario,
    *,
    deterministic_time: float = OPTIMUM_BUDGET,
    hints: Sequence[Mapping[str, Sequence[str]]] = (),
    time_limit: float | None = None,
    num_workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The most covers any assignment seats (benchmarks.md, reference 1), solved per group of
    bookings that compete for tables (`interacting_groups`): the sum of the groups' optima is the
    day's. Each group starts from the best of `hints` (valid whole-day assignments, e.g. the online
    replays') on that group, and gets `deterministic_time` with one worker (reproducible); where it
    is not proven, the answer is that group's best assignment and CP-SAT's bound (never above the
    covers the group requests). `time_limit` is a wall-clock safety per group."""
    from optimization.solver.model import interacting_groups, solve_max_covers

    t0 = time.perf_counter()
    floor = scenario_floor(scenario)
    requests = scenario_requests(scenario)
    assignment: dict[str, tuple[str, ...]] = {}
    groups_out = []
    bound_total = 0.0
    statuses = []
    groups = interacting_groups(floor, requests)
    for n, group in enumerate(groups):
        if progress:
            progress(f"optimum: group {n + 1}/{len(groups)} ({len(group)} bookings)")
        party = {q.booking_id: q.party_size for q in group}
        requested = sum(party.values())
        best_hint: dict[str, tuple[str, ...]] = {}
        best_covers = -1
        for h in hints:
            part = {b: tuple(sorted(h[b])) for b in party if b in h}
            covers = sum(party[b] for b in part)
            if covers > best_covers:
                best_hint, best_covers = part, covers
        sol = solve_max_covers(
            floor,
            group,
            current=best_hint or None,
            num_workers=num_workers,
            deterministic_time=deterministic_time,
            time_limit=time_limit if time_limit is not None else _wall(deterministic_time),
        )
        if sol.solved and sol.covers >= max(best_covers, 0):
            chosen, covers = dict(sol.assignment), sol.covers
        else:
            chosen, covers = best_hint, max(best_covers, 0)
        if sol.status == "OPTIMAL":
            bound = float(sol.covers)
        elif sol.status == "INFEASIBLE":  # cannot happen for a max-covers model; keep it visible
            bound = float("nan")
        else:
            bound = float(requested) if sol.bound != sol.bound else min(float(requested), sol.bound)
        statuses.append(sol.status)
        bound_total += bound
        assignment.update(chosen)
        groups_out.append(
            {
                "bookings": len(group),
                "covers_requested": requested,
                "covers": covers,
                "status": sol.status,
                "bound": bound,
                "hint_covers": max(best_covers, 0),
                "seconds": sol.seconds,
            }
        )
    covers = sum(r.party_size for r in requests if r.booking_id in assignment)
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"
    return {
        "covers": covers,
        "status": status,
        "bound": float(covers) if status == "OPTIMAL" else bound_total,
        "seconds": round(time.perf_counter() - t0, 3),
        "deterministic_time": deterministic_time,
        "groups": groups_out,
        "assignment": assignment,
    }


def ablation(scenario: Scenario, weights: Weights | None = None) -> dict[str, Any]:
    """The engine with each strategy removed (and with it alone), same weights: covers seated
    (`without_X`, `only_X`), and for removals also the preferred-zone honoured % and the number
    of bookings whose tables differ from the full engine's (`changed`)."""
    from assignments.engine import default_strategies

    everything = default_strategies()
    full = replay_engine(scenario, weights=weights)
    out: dict[str, Any] = {"all": full.covers_seated}
    zone: dict[str, float | None] = {"all": full.figures()["preferred_zone_honoured_pct"]}
    changed: dict[str, int] = {}
    for s in everything:
        rest = [x for x in everything if x.name != s.name]
        r = replay_engine(scenario, weights=weights, strategies=rest)
        out[f"without_{s.name}"] = r.covers_seated
        zone[f"without_{s.name}"] = r.figures()["preferred_zone_honoured_pct"]
        changed[s.name] = sum(
            1
            for b in set(full.assignment) | set(r.assignment)
            if full.assignment.get(b) != r.assignment.get(b)
        )
    for s in everything:
        out[f"only_{s.name}"] = replay_engine(scenario, weights=weights, strategies=[s]).covers_seated
    # the day's reference layout (engine/reference.py) is no strategy but a tie-breaker: off, all else equal
    base = weights or Weights()
    if base.follows_reference:
        r = replay_engine(scenario, weights=replace(base, follow_reference=0.0))
        out["without_reference_layout"] = r.covers_seated
        zone["without_reference_layout"] = r.figures()["preferred_zone_honoured_pct"]
        changed["reference_layout"] = sum(
            1
            for b in set(full.assignment) | set(r.assignment)
            if full.assignment.get(b) != r.assignment.get(b)
        )
    out["zone_pct"] = zone
    out["changed"] = changed
    return out


# -- one scenario, every assigner ---------------------------------------------------------------
ASSIGNERS = ("engine", "engine_reseat", "engine_policy", "first_fit", "smallest_fit")
UNGATED = "engine_reseat_ungated"  # re-seating whenever it can, without the pay-off rule (on request)
BASELINES = ("first_fit", "smallest_fit")
# The capacity-protection settings the benchmark measures as `engine_policy` (opt-in in production;
# chosen on the tuning set, docs/benchmarks/engine.md).
# Played forward: 16 rollouts of 0.5 x tables later requests from the prior decide the expected cost.
POLICY_WEIGHTS = {
    "protection_load": 0.8,
    "protection_margin": 1.0,
    "protection_samples": 16,
    "protection_arrivals": 0.5,
}


def day_flags(result: Mapping[str, Any], slack: float = 0.01) -> list[str]:
    """Every way the engine falls short on one day: below a baseline at all (and by more than
    `slack`), and engine + re-seating below the engine alone."""
    flags = []
    engine = result["engine"]["covers_seated"]
    for name in BASELINES:
        other = result[name]["covers_seated"]
        if engine < other:
            worse = " by more than 1%" if engine < (1 - slack) * other else ""
            flags.append(f"engine {engine} < {name} {other} ({engine / other - 1:+.1%}){worse}")
    reseat = result["engine_reseat"]["covers_seated"]
    if reseat < engine:
        flags.append(f"engine_reseat {reseat} < engine {engine} ({reseat / engine - 1:+.1%})")
    return flags


def bench_scenario(
    scenario: Scenario,
    *,
    time_limit: float = OPTIMUM_BUDGET,
    with_online_limit: bool = True,
    weights: Weights | None = None,
    reseat_time_limit: float = 60.0,
    reseat_deterministic_time: float | None = None,
    freeze_minutes: int = 60,
    policy_weights: Weights | None = None,
    with_ablation: bool = True,
    with_ungated: bool = False,
    references: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    step: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Figures for one scenario (JSON-ready), plus private `_latencies` and `_assignments` keys. `progress`
    is told each phase as it starts; `step(done, total)` counts arrivals in the slow phases.
    `time_limit` is the optimum's budget per group of interacting bookings (CP-SAT deterministic
    time, `offline_optimum`); the replays' assignments are its hints.

    `references` ({"optimum": ..., "online_limit": ...}, a reference file of `bench.references`)
    are reused instead of solved again: neither depends on the engine's settings."""
    say = progress or (lambda _msg: None)
    out: dict[str, Any] = {
        "name": scenario.name,
        "bookings": len(scenario.bookings),
        "tables": len(scenario.tables),
    }
    runs = {
        "engine": lambda: replay_engine(scenario, weights=weights),
        "engine_reseat": lambda: replay_engine_reseat(
            scenario,
            weights=weights,
            time_limit=reseat_time_limit,
            deterministic_limit=reseat_deterministic_time,
            freeze_minutes=freeze_minutes,
            progress=step,
        ),
        "engine_policy": lambda: replay_engine(
            scenario,
            weights=policy_weights or Weights(**{**(weights or Weights()).as_dict(), **POLICY_WEIGHTS}),
            name="engine_policy",
        ),
        "first_fit": lambda: replay_first_fit(scenario),
        "smallest_fit": lambda: replay_smallest_fit(scenario),
    }
    if with_ungated:
        runs[UNGATED] = lambda: replay_engine_reseat(
            scenario,
            weights=weights,
            time_limit=reseat_time_limit,
            deterministic_limit=reseat_deterministic_time,
            freeze_minutes=freeze_minutes,
            payoff_margin=None,
            name=UNGATED,
        )
    latencies: dict[str, list[float]] = {}
    assignments: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, run in runs.items():
        say(f"{scenario.name}: replaying {name}")
        result = run()
        problems = check_assignment(scenario, result.assignment)
        if problems:
            raise AssertionError(f"{name} broke the rules on {scenario.name}: {problems[:5]}")
        out[name] = result.figures()
        latencies[name] = result.latencies_ms
        assignments[name] = result.assignment
    limit_assignment: dict[str, tuple[str, ...]] = {}
    if with_online_limit and references and references.get("online_limit"):
        out["online_limit"] = {k: v for k, v in references["online_limit"].items() if k != "ratio_to_optimum"}
    elif with_online_limit:
        say(f"{scenario.name}: computing the online limit (every arrival decided)")
        limit = online_limit(scenario, progress=step)
        if check_assignment(scenario, limit.assignment):
            raise AssertionError(f"online limit broke the rules on {scenario.name}")
        out["online_limit"] = limit.figures()
        limit_assignment = limit.assignment
    else:
        out["online_limit"] = None
    if references and references.get("optimum"):
        opt = dict(references["optimum"])
        out["optimum"] = {k: opt[k] for k in ("covers", "status", "bound", "seconds")}
    else:
        say(f"{scenario.name}: solving the offline optimum ({time_limit:g} per group)")
        opt = offline_optimum(
            scenario, deterministic_time=time_limit, hints=[limit_assignment, *assignments.values()]
        )
        if check_assignment(scenario, opt["assignment"]):
            raise AssertionError(f"optimum broke the rules on {scenario.name}")
        out["optimum"] = {k: opt[k] for k in ("covers", "status", "bound", "seconds")}
    if with_ablation:
        say(f"{scenario.name}: ablation (engine without each strategy)")
        out["engine"]["ablation"] = ablation(scenario, weights=weights)
    for name in (*ASSIGNERS, UNGATED) if with_ungated else ASSIGNERS:
        seated = out[name]["covers_seated"]
        out[name]["ratio_to_optimum"] = _ratio(seated, opt["covers"])
        out[name]["ratio_to_online_limit"] = (
            _ratio(seated, out["online_limit"]["covers_seated"]) if with_online_limit else None
        )
    if with_online_limit:
        out["online_limit"]["ratio_to_optimum"] = _ratio(out["online_limit"]["covers_seated"], opt["covers"])
    out["flags"] = day_flags(out)
    out["_latencies"] = latencies
    out["_assignments"] = assignments
    return out


def bench_overall(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals over scenarios; latency percentiles over every decision; ratios averaged per scenario."""
    overall: dict[str, Any] = {}
    for name in [n for n in (*ASSIGNERS, UNGATED) if all(n in r for r in results)]:
        lat = sorted(x for r in results for x in r["_latencies"][name])
        requested = sum(r[name]["covers_requested"] for r in results)
        seated = sum(r[name]["covers_seated"] for r in results)
        plans = [r[name]["plans_per_s"] for r in results if r[name]["plans_per_s"]]
        per_opt = [r[name]["ratio_to_optimum"] for r in results if r[name]["ratio_to_optimum"] is not None]
        per_lim = [
            r[name]["ratio_to_online_limit"] for r in results if r[name]["ratio_to_online_limit"] is not None
        ]
        overall[name] = {
            "covers_requested": requested,
            "covers_seated": seated,
            "seated_ratio": _ratio(seated, requested),
            "to_review": sum(r[name]["to_review"] for r in results),
            "ratio_to_optimum_mean": round(statistics.fmean(per_opt), 4) if per_opt else None,
            "ratio_to_online_limit_mean": round(statistics.fmean(per_lim), 4) if per_lim else None,
            "p50_ms": round(percentile(lat, 50), 4),
            "p99_ms": round(percentile(lat, 99), 4),
            "plans_per_s": round(statistics.fmean(plans)) if plans else None,
            "moves": sum(r[name].get("moves", 0) for r in results),
            "wins": dict(sorted(sum((Counter(r[name]["wins"]) for r in results), Counter()).items())),
        }
    overall["optimum_covers"] = sum(r["optimum"]["covers"] for r in results)
    limits = [r["online_limit"] for r in results if r["online_limit"]]
    overall["online_limit_covers"] = (
        sum(x["covers_seated"] for x in limits) if len(limits) == len(results) else None
    )
    overall["flagged_days"] = {r["name"]: r["flags"] for r in results if r.get("flags")}
    for name in BASELINES:
        worst = min(
            results, key=lambda r: _ratio(r["engine"]["covers_seated"], r[name]["covers_seated"]) or 1.0
        )
        overall[f"worst_day_vs_{name}"] = {
            "name": worst["name"],
            "ratio": _ratio(worst["engine"]["covers_seated"], worst[name]["covers_seated"]),
        }
    engine = overall["engine"]
    overall["p50_ms"], overall["p99_ms"], overall["plans_per_s"] = (
        engine["p50_ms"],
        engine["p99_ms"],
        engine["plans_per_s"],
    )
    return overall


def public(result: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


# -- why a day is lost: single-decision counterfactuals -------------------------------------------
def decision_swaps(
    scenario: Scenario, baseline: str = "smallest_fit", weights: Weights | None = None
) -> list[dict[str, Any]]:
    """For every engine decision where `baseline` (first_fit or smallest_fit) would have chosen other
    tables, replay the day with that one decision swapped to the baseline's choice (the engine
    deciding everything else) and record the covers gained (negative: the engine's own choice was
    better). If a kind of decision (a strategy, a join, a party size) loses systematically, swapping
    it gains on average; if gains and losses cancel, the day's result is the chaos of one
    trajectory, not a biased rule."""
    pick = {"smallest_fit": smallest_fit, "first_fit": first_fit}[baseline]
    floor = scenario_floor(scenario)
    engine = Engine(floor, weights=weights, demand=scenario_demand(scenario))
    requests = scenario_requests(scenario)

    def play(
        swap: int | None = None, alt: Plan | None = None
    ) -> tuple[int, list[tuple[Plan | None, Plan | None]]]:
        occ = Occupancy(floor)
        layout = ReferenceLayout(floor) if engine.weights.follows_reference else None
        seated = 0
        log: list[tuple[Plan | None, Plan | None]] = []
        for i, r in enumerate(requests):
            reference = layout.add(r) if layout is not None else None
            plan = engine.decide(r, occ, reference=reference).best
            other = pick(floor, r, occ) if swap is None else None
            if i == swap:
                plan = alt
            if plan is not None:
                occ.add(plan.tables, r.start, r.end, r.booking_id)
                seated += r.party_size
            log.append((plan, other))
        return seated, log

    base, log = play()
    out = []
    for i, (plan, other) in enumerate(log):
        if plan is None or other is None or plan.tables == other.tables:
            continue
        seated, _ = play(i, other)
        out.append(
            {
                "index": i,
                "booking": requests[i].booking_id,
                "party_size": requests[i].party_size,
                "strategy": plan.strategy,
                "engine_joins": len(plan.tables) > 1,
                "baseline_joins": len(other.tables) > 1,
                "gain": seated - base,
            }
        )
    return out


def swap_summary(swaps: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean gain of swapping, and how many swaps gain or lose, by kind of decision."""
    groups: dict[str, list[int]] = {}
    for s in swaps:
        keys = [
            "all",
            f"strategy={s['strategy']}",
            f"engine_joins={s['engine_joins']}",
            f"party={min(s['party_size'], 6)}{'+' if s['party_size'] >= 6 else ''}",
        ]
        for k in keys:
            groups.setdefault(k, []).append(s["gain"])
    return {
        k: {
            "swaps": len(v),
            "mean_gain": round(statistics.fmean(v), 3),
            "gain": sum(1 for g in v if g > 0),
            "loss": sum(1 for g in v if g < 0),
        }
        for k, v in sorted(groups.items())
    }
