"""One test per strategy: the situation it exists for."""

import pytest

from assignments.engine import (
    BestFit,
    Combination,
    DemandProfile,
    Engine,
    GapFit,
    LoadBalance,
    Lookahead,
    Occupancy,
    Request,
    Weights,
    ZonePreference,
    default_strategies,
)

from .helpers import floor, table

EVENING = 19 * 60


def outcome(engine: Engine, request: Request, occ: Occupancy, name: str):
    decision = engine.decide(request, occ)
    return next(o for o in decision.outcomes if o.strategy == name)


def req(party, start=EVENING, length=100, **kw):
    return Request(f"R{party}-{start}", party, start, start + length, **kw)


def best(engine: Engine, request: Request, occ: Occupancy):
    return engine.decide(request, occ).best


def test_best_fit_keeps_the_bigger_table_for_a_bigger_party():
    f = floor(table("T2", hi=2), table("T4", hi=4), table("T6", hi=6))
    got = outcome(Engine(f), req(2), Occupancy(f), "best_fit")
    assert got.plan.tables == ("T2",)
    assert "empty seats (0)" in got.reason
    # When lookahead sees no difference between two fits, best fit's plan wins.
    flat = Engine(f, weights=Weights(lookahead=0))
    won = best(flat, req(2), Occupancy(f))
    assert won.tables == ("T2",)


def test_combination_joins_for_a_large_party_and_wins():
    f = floor(
        table("A", hi=4, combinable=True),
        table("B", hi=4, combinable=True),
        table("C", hi=2, combinable=True),
        table("D", hi=2, combinable=True),
        table("E", hi=2, combinable=True),
        edges=[("A", "B"), ("C", "D"), ("D", "E")],
    )
    # The cheapest join; with lookahead off A+B and C+D+E cost the same, and fewer tables decide.
    got = outcome(Engine(f, weights=Weights(lookahead=0)), req(6), Occupancy(f), "combination")
    assert got.plan.tables == ("A", "B")
    won = best(Engine(f), req(6), Occupancy(f))
    assert won.strategy == "combination" and len(won.tables) > 1
    # and stays out of the way when one table seats the party
    assert outcome(Engine(f), req(4), Occupancy(f), "combination").plan is None


def test_lookahead_spares_the_table_that_larger_parties_later_need():
    # Two identical 4-tops; only X can join Y and Z to seat a party of 8-10 later.
    f = floor(
        table("W", hi=4, combinable=False),
        table("X", hi=4, combinable=True),
        table("Y", hi=4, combinable=True),
        table("Z", hi=2, combinable=True),
        edges=[("X", "Y"), ("Y", "Z")],
    )
    engine = Engine(f)
    got = outcome(engine, req(4), Occupancy(f), "lookahead")
    assert got.plan.tables == ("W",)
    won = best(engine, req(4), Occupancy(f))
    assert won.tables == ("W",) and won.strategy == "lookahead"
    # Without any demand for large parties there is nothing to protect: equal cost.
    twos_only = Engine(f, demand=DemandProfile(party_mix={2: 1.0}))
    o = twos_only.options(req(4), Occupancy(f))[0]
    costs = {x.tables: x.lookahead for x in o if x.tables in (("W",), ("X",))}
    assert costs[("W",)] <= costs[("X",)]


def test_gap_fit_slots_into_a_tight_gap_and_leaves_the_long_stretch_whole():
    f = floor(table("EMPTY", hi=2), table("GAP", hi=2))
    occ = Occupancy(f)
    occ.add(["GAP"], EVENING - 120, EVENING, "earlier")
    occ.add(["GAP"], EVENING + 100, EVENING + 220, "later")
    got = outcome(Engine(f), req(2), occ, "gap_fit")
    assert got.plan.tables == ("GAP",)
    won = best(Engine(f), req(2), occ)
    assert won.tables == ("GAP",) and won.strategy == "gap_fit"
    # and avoids leaving a hole too short for anyone
    occ2 = Occupancy(f)
    occ2.add(["GAP"], EVENING - 150, EVENING - 40, "leaves-40-minutes")
    occ2.add(["EMPTY"], EVENING - 200, EVENING - 100, "leaves-100-minutes")
    got2 = outcome(Engine(f, demand=DemandProfile(shortest_window=100)), req(2), occ2, "gap_fit")
    assert got2.plan.tables == ("EMPTY",)
    # and stays silent on an empty floor: no gap to fill, no hole to avoid
    assert outcome(Engine(f), req(2), Occupancy(f), "gap_fit").plan is None


def test_zone_preference_wins_when_the_wish_costs_nothing_else():
    f = floor(
        table("M1", zone="main", hi=2),
        table("P1", zone="patio", hi=2),
        table("P4", zone="patio", hi=4),
        zones={"main": 1, "patio": 2},
    )
    engine = Engine(f)
    assert outcome(engine, req(2, preferred_zone="patio"), Occupancy(f), "zone_preference").plan.tables == (
        "P1",
    )
    won = best(engine, req(2, preferred_zone="patio"), Occupancy(f))
    assert won.tables == ("P1",) and won.strategy == "zone_preference"
    assert outcome(engine, req(2), Occupancy(f), "zone_preference").plan is None
    # A soft wish: when the only plan in the zone wastes a big table, the cheaper plan elsewhere wins.
    g = floor(
        table("M1", zone="main", hi=2), table("P6", zone="patio", lo=1, hi=6), zones={"main": 1, "patio": 2}
    )
    won = best(Engine(g), req(2, preferred_zone="patio"), Occupancy(g))
    assert won.tables == ("M1",)


def test_load_balance_spreads_into_the_quiet_zone_at_equal_cost():
    f = floor(
        table("M1", zone="main", hi=2),
        table("M2", zone="main", hi=2),
        table("M3", zone="main", hi=2),
        table("W1", zone="window", hi=2),
        table("W2", zone="window", hi=2),
        zones={"main": 1, "window": 2},
    )
    occ = Occupancy(f)
    occ.add(["M1"], EVENING, EVENING + 100, "x")
    occ.add(["M2"], EVENING, EVENING + 100, "y")
    got = outcome(Engine(f), req(2), occ, "load_balance")
    assert got.plan.tables[0].startswith("W")
    won = best(Engine(f), req(2), occ)
    assert won.tables[0].startswith("W") and won.strategy == "load_balance"
    # an evenly loaded room gives it nothing to say
    assert outcome(Engine(f), req(2), Occupancy(f), "load_balance").plan is None


def test_equal_scores_break_by_strategy_priority_then_table_ids():
    f = floor(table("A", hi=2), table("B", hi=2))
    d = Engine(f).decide(req(2), Occupancy(f))
    assert [p.tables for p in d.plans] == [("A",), ("B",)]
    assert d.plans[0].strategy == "lookahead"  # lookahead (50) before best_fit (60) on the same tables


def test_nothing_free_gives_reasons_and_no_plans():
    f = floor(table("A", hi=2))
    occ = Occupancy(f)
    occ.add(["A"], EVENING, EVENING + 100, "x")
    d = Engine(f).decide(req(2), occ)
    assert d.plans == () and d.best is None
    assert all(o.plan is None and o.reason for o in d.outcomes)
    assert len(d.outcomes) == len(default_strategies())


@pytest.mark.parametrize(
    "strategy", [BestFit(), Combination(), Lookahead(), GapFit(), ZonePreference(), LoadBalance()]
)
def test_every_strategy_alone_is_a_working_engine(strategy):
    f = floor(
        table("A", hi=2),
        table("B", hi=4, combinable=True),
        table("C", hi=4, combinable=True),
        edges=[("B", "C")],
    )
    d = Engine(f, strategies=[strategy]).decide(req(6), Occupancy(f))
    assert d.plans[0].tables == ("B", "C")


def test_plans_are_ranked_distinct_with_breakdowns_that_sum_to_the_score():
    f = floor(*(table(f"T{i}", hi=2 + 2 * (i % 3)) for i in range(8)))
    d = Engine(f).decide(req(2), Occupancy(f))
    sets = [p.tables for p in d.plans]
    assert len(sets) == len(set(sets)) and len(sets) >= 2
    for p in d.plans:
        assert abs(sum(p.breakdown.values()) - p.score) < 1e-4
    assert d.candidates_evaluated >= len(d.plans)


def test_weights_from_mapping():
    w = Weights.from_mapping({"empty_seat": 2, "lookahead": 0})
    assert w.empty_seat == 2.0 and w.lookahead == 0.0 and w.extra_table == Weights().extra_table
    with pytest.raises(ValueError, match="unknown weight"):
        Weights.from_mapping({"empty_seats": 1})
