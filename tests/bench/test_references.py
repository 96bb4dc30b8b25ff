"""The exact references: the online limit decides every arrival (brute force agrees), an undecided
arrival is never a silent rejection, a run resumes to the same answer, and the optimum per group of
interacting bookings is the whole day's."""

import io
import itertools
import json
from pathlib import Path

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignments.scenario import load_scenario, parse_scenario
from bench.benchmarking import (
    LIMIT_STAGES,
    check_assignment,
    offline_optimum,
    online_limit,
    scenario_floor,
    scenario_requests,
)
from bench.references import FORMAT, reference_read
from optimization.solver.model import solve_max_covers

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _day(tables, edges, bookings, max_join=3) -> dict:
    return {
        "format": "scenario/v1",
        "name": "random-day",
        "restaurant": {
            "name": "Random",
            "timezone": "UTC",
            "date": "2026-09-05",
            "slot_minutes": 15,
            "buffer_minutes": 0,
            "max_combination_tables": max_join,
            "turn_minutes": {"default": 60},
            "service_periods": [{"name": "dinner", "start": "17:00", "end": "23:30"}],
        },
        "zones": [{"id": "a", "name": "A", "priority": 1}, {"id": "b", "name": "B", "priority": 2}],
        "tables": [
            {
                "id": f"T{i}",
                "zone": zone,
                "min_covers": 1,
                "max_covers": cap,
                "combinable": combinable,
                "accessible": accessible,
            }
            for i, (zone, cap, combinable, accessible) in enumerate(tables)
        ],
        "adjacency": [[f"T{a}", f"T{b}"] for a, b in edges],
        "bookings": [
            {
                "id": f"B{i:02d}",
                "party_size": party,
                "start": f"{17 + slot // 4}:{15 * (slot % 4):02d}",
                "duration_minutes": 30 * length,
                "preferred_zone": None,
                "accessible": accessible,
                "arrival": arrival,
            }
            for i, (party, slot, length, accessible, arrival) in enumerate(bookings)
        ],
    }


@st.composite
def small_days(draw):
    n_tables = draw(st.integers(2, 4))
    tables = [
        (
            draw(st.sampled_from("ab")),
            draw(st.sampled_from([2, 2, 4, 6])),
            draw(st.booleans()),
            draw(st.booleans()),
        )
        for _ in range(n_tables)
    ]
    pairs = list(itertools.combinations(range(n_tables), 2))
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    n = draw(st.integers(2, 10))
    order = draw(st.permutations(list(range(n))))
    bookings = [
        (
            draw(st.integers(1, 9)),
            draw(st.integers(0, 20)),  # start: 17:00 + 15 min steps
            draw(st.integers(1, 5)),  # 30-150 minutes
            draw(st.booleans()) and draw(st.booleans()),
            order[i],
        )
        for i in range(n)
    ]
    return parse_scenario(_day(tables, edges, bookings, max_join=draw(st.integers(1, 3))))


def _shapes(scenario, booking):
    """Every table set the scenario's rules allow for the booking, found by trying all subsets
    against the independent checker (not the engine's enumeration)."""
    ids = [t.id for t in scenario.tables]
    out = []
    for k in range(1, scenario.restaurant.max_combination_tables + 1):
        for combo in itertools.combinations(ids, k):
            if not check_assignment(scenario, {booking.id: list(combo)}):
                out.append(combo)
    return out


def _fits(scenario, bookings) -> bool:
    """Brute force: some choice of table sets seats every booking (the checker decides)."""
    options = [_shapes(scenario, b) for b in bookings]
    chosen: dict[str, list[str]] = {}

    def place(i: int) -> bool:
        if i == len(bookings):
            return True
        for shape in options[i]:
            chosen[bookings[i].id] = list(shape)
            if not check_assignment(scenario, chosen) and place(i + 1):
                return True
            del chosen[bookings[i].id]
        return False

    return place(0)


def _brute_force_limit(scenario) -> set[str]:
    accepted: list = []
    for b in scenario.bookings_by_arrival():
        if _fits(scenario, [*accepted, b]):
            accepted.append(b)
    return {b.id for b in accepted}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_days())
def test_the_online_limit_accepts_exactly_what_brute_force_accepts(scenario):
    limit = online_limit(scenario)
    assert limit.exact and limit.undecided == 0
    assert set(limit.assignment) == _brute_force_limit(scenario)
    assert not check_assignment(scenario, limit.assignment)
    assert limit.accepted + limit.rejected == len(scenario.bookings)


def test_an_undecided_arrival_is_listed_and_never_counted_as_rejected():
    s = load_scenario(SCENARIOS / "sample-small.json")
    exact = online_limit(s)
    # With no solver stage, an arrival without a free plan can be neither accepted nor proven
    # impossible: it must come out undecided, and the limit a lower estimate.
    blind = online_limit(s, stages=())
    assert exact.exact and exact.undecided == 0
    assert not blind.exact and blind.undecided > 0
    assert blind.rejected == blind.decided_by["no_plan_shape"]  # the only rejections it can prove
    assert len(blind.undecided_ids) == blind.undecided == blind.decided_by["undecided"]
    assert blind.accepted + blind.rejected + blind.undecided == len(s.bookings)
    f = blind.figures()
    assert f["exact"] is False and f["undecided_ids"] == blind.undecided_ids
    assert f["to_review"] == blind.rejected + blind.undecided
    assert blind.covers_seated <= exact.covers_seated


def test_a_resumed_limit_gives_the_same_answer():
    s = load_scenario(SCENARIOS / "sample-small.json")
    states = []
    straight = online_limit(s, checkpoint=lambda st: states.append(json.loads(json.dumps(st))))
    middle = states[len(states) // 2]
    assert 0 < middle["next"] < len(s.bookings)
    resumed = online_limit(s, resume=middle)
    assert resumed.assignment.keys() == straight.assignment.keys()
    assert resumed.covers_seated == straight.covers_seated and resumed.exact


def test_the_optimum_per_group_is_the_whole_days_optimum():
    s = load_scenario(SCENARIOS / "sample-small.json")
    whole = solve_max_covers(scenario_floor(s), scenario_requests(s), time_limit=30, num_workers=1)
    split = offline_optimum(s, deterministic_time=20, hints=[online_limit(s).assignment])
    assert whole.status == "OPTIMAL" and split["status"] == "OPTIMAL"
    assert split["covers"] == whole.covers == split["bound"]
    assert len(split["groups"]) > 1
    assert sum(g["covers"] for g in split["groups"]) == split["covers"]
    assert not check_assignment(s, split["assignment"])


def test_bench_references_keeps_exact_references_that_bench_engine_reuses(tmp_path):
    small = str(SCENARIOS / "sample-small.json")
    refs = tmp_path / "refs"
    out = io.StringIO()
    call_command(
        "bench_references",
        small,
        "--out",
        str(refs),
        "--optimum-budget",
        "5",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "undecided arrivals: 0" in out.getvalue()
    doc = reference_read(refs, small)
    assert doc["format"] == FORMAT and doc["online_limit"]["exact"] is True
    assert doc["method"]["limit_stages"][0][0] == LIMIT_STAGES[0][0]
    assert doc["optimum"]["status"] == "OPTIMAL"
    # bench_engine takes them as they stand (a planted figure shows through) ...
    doc["online_limit"]["covers_seated"] = 57
    (refs / "sample-small.json").write_text(json.dumps(doc))
    out = io.StringIO()
    call_command(
        "bench_engine",
        small,
        "--json",
        "--no-ablation",
        "--references",
        str(refs),
        stdout=out,
        stderr=io.StringIO(),
    )
    scenario = json.loads(out.getvalue())["scenarios"][0]
    assert scenario["online_limit"]["covers_seated"] == 57
    assert scenario["optimum"]["covers"] == doc["optimum"]["covers"]
