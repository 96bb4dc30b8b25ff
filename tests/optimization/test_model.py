"""The exact day model: known optimum, bounds the online assigners, keeps pinned bookings."""

import itertools
import random
from pathlib import Path

import pytest

from assignments.engine import Floor, Request, TableSpec
from assignments.scenario import load_scenario
from bench.benchmarking import (
    check_assignment,
    replay_engine,
    replay_first_fit,
    replay_smallest_fit,
    scenario_floor,
    scenario_requests,
)
from optimization.solver.model import overlap_cliques, solve_max_covers, solve_seat_all

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def tiny_floor() -> Floor:
    return Floor(
        tables=(
            TableSpec("A", "main", 1, 2, True, False),
            TableSpec("B", "main", 1, 2, True, False),
            TableSpec("C", "main", 1, 4, False, True),
        ),
        adjacency=(("A", "B"),),
        zone_priority={"main": 1},
    )


def test_tiny_instance_known_optimum():
    # Three tables for four overlapping-ish parties: the 4 and one 3 share C and A+B between them,
    # the two 3s overlap so one stays out, and the late 2 takes A or B after the early party.
    f = tiny_floor()
    reqs = [
        Request("four", 4, 0, 120),
        Request("three-a", 3, 0, 120),
        Request("three-b", 3, 60, 180),
        Request("two-late", 2, 120, 240),
    ]
    sol = solve_max_covers(f, reqs, time_limit=5)
    assert sol.status == "OPTIMAL"
    assert sol.covers == 4 + 3 + 2 == sol.bound
    assert {sol.assignment["four"], sol.assignment.get("three-a") or sol.assignment["three-b"]} == {
        ("A", "B"),
        ("C",),
    }
    assert "two-late" in sol.assignment


def test_seat_all_reports_infeasible_and_respects_fixed():
    f = tiny_floor()
    reqs = [Request("x", 2, 0, 100), Request("y", 2, 0, 100), Request("z", 4, 50, 150)]
    ok = solve_seat_all(f, reqs, fixed={"x": ("B",)}, time_limit=5)
    assert ok.solved and ok.assignment["x"] == ("B",) and ok.assignment["z"] == ("C",)
    too_many = [*reqs, Request("w", 2, 0, 100)]
    assert solve_seat_all(f, too_many, time_limit=5).status == "INFEASIBLE"


def test_minimum_moves_keeps_current_tables_when_possible():
    f = tiny_floor()
    reqs = [Request("x", 2, 0, 100), Request("y", 2, 0, 100), Request("new", 4, 0, 100)]
    current = {"x": ("A",), "y": ("C",)}  # "new" needs C (A+B is 4 seats too, but A is taken)
    sol = solve_seat_all(f, reqs, current=current, minimize_moves=True, time_limit=5)
    assert sol.solved and sol.moved == 1
    assert sol.assignment["x"] == ("A",) or sol.assignment["y"] == ("C",)


def test_fixed_bookings_are_not_moved_on_a_sample():
    s = load_scenario(SCENARIOS / "sample-small.json")
    f, reqs = scenario_floor(s), scenario_requests(s)
    free = solve_max_covers(f, reqs, time_limit=5)
    # Pin a few bookings on tables the optimum did not give them (but which are valid for them).
    engine_run = replay_first_fit(s).assignment
    pins = {b: t for b, t in sorted(engine_run.items()) if free.assignment.get(b) != t}
    pins = dict(list(pins.items())[:3])
    assert pins
    sol = solve_max_covers(f, reqs, fixed=pins, time_limit=5)
    assert sol.solved
    for b, t in pins.items():
        assert sol.assignment[b] == t
    assert sol.covers <= free.covers
    assert not check_assignment(s, sol.assignment)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sample-small", "sample-medium"])
def test_optimum_bounds_every_online_assigner(name):
    s = load_scenario(SCENARIOS / f"{name}.json")
    sol = solve_max_covers(scenario_floor(s), scenario_requests(s), time_limit=20)
    assert sol.status == "OPTIMAL"
    assert not check_assignment(s, sol.assignment)
    for replay in (replay_engine, replay_first_fit, replay_smallest_fit):
        assert replay(s).covers_seated <= sol.covers


def test_overlap_cliques_match_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        spans = []
        for i in range(rng.randint(1, 9)):
            s = rng.randint(0, 20)
            spans.append((s, s + rng.randint(1, 8), i))
        cliques = [set(c) for c in overlap_cliques(spans)]

        def overlap(a, b):
            return a[0] < b[1] and b[0] < a[1]

        for c in cliques:  # every emitted set is a clique
            assert all(overlap(spans[a], spans[b]) for a, b in itertools.combinations(c, 2))
        for a, b in itertools.combinations(range(len(spans)), 2):  # every overlapping pair is covered
            if overlap(spans[a], spans[b]):
                assert any({a, b} <= c for c in cliques)


def test_interacting_groups_link_overlapping_bookings_that_share_a_possible_table():
    from optimization.solver.model import interacting_groups

    floor = Floor(
        tables=(
            TableSpec("two", "main", 1, 2, False, False),
            TableSpec("eight", "main", 5, 8, False, False),
        ),
        adjacency=(),
        zone_priority={"main": 1},
    )
    early = Request("early", 2, 0, 60)
    overlaps = Request("overlaps", 2, 30, 90)
    chained = Request("chained", 2, 80, 150)  # overlaps `overlaps` only: linked through it
    later = Request("later", 2, 150, 200)  # [80, 150) and [150, 200) do not overlap
    big = Request("big", 6, 0, 200)  # only the eight-top fits: shares no table with the twos
    groups = interacting_groups(floor, [early, overlaps, big, chained, later])
    assert [[r.booking_id for r in g] for g in groups] == [
        ["early", "overlaps", "chained"],
        ["big"],
        ["later"],
    ]
