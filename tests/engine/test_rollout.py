"""Look-ahead rollouts: draws from the demand prior, played against plans, never reading the future."""

from hypothesis import given
from hypothesis import strategies as st

from assignments.engine import DemandProfile, Engine, Occupancy, Request, Weights
from assignments.engine.rollout import Rollouts

from .helpers import floor, table
from .test_properties import common, days, floors

PEAK = 19 * 60 + 30
TURNS = {2: 100, 4: 115, 6: 130, 8: 145, 12: 160}


def small_floor():
    return floor(table("A", hi=2), table("B", hi=2), table("C", lo=1, hi=4), table("D", lo=3, hi=6))


def test_draws_are_reproducible_overlap_the_window_and_follow_the_turns():
    f = small_floor()
    demand = DemandProfile(turns=TURNS)
    rollouts = Rollouts(f, demand, samples=5, arrivals=7)
    r = Request("any-id", 2, PEAK, PEAK + 100)
    draws = rollouts.draw(r)
    assert draws == rollouts.draw(
        Request("another-id", 2, PEAK, PEAK + 100)
    )  # seeded by the window, not the id
    assert draws != rollouts.draw(Request("x", 2, PEAK + 15, PEAK + 115))
    assert len(draws) == 5 and all(len(seq) == 7 for seq in draws)
    for seq in draws:
        for party, start, end in seq:
            assert start < r.end and r.start < end  # only requests the choice of tables can affect
            assert end - start == demand.turn_for(party)
            assert demand.opens <= start < demand.closes


def test_covers_leave_the_occupancy_as_it_was_and_count_what_the_plan_takes():
    f = small_floor()
    occ = Occupancy(f)
    occ.add(("A",), PEAK - 60, PEAK + 60, "held")
    before = {t: occ.intervals(t) for t in f.table_ids}
    rollouts = Rollouts(f, DemandProfile(turns=TURNS), samples=3, arrivals=4)
    draws = [[(2, PEAK, PEAK + 100), (4, PEAK, PEAK + 115), (6, PEAK, PEAK + 130)]] * 3
    free = rollouts.covers(occ, draws)
    # B seats the two, C the four, D the six: 12 covers a draw
    assert free == 36
    # with D taken over the window, the six finds nothing
    assert rollouts.covers(occ, draws, [(("D",), PEAK, PEAK + 100)]) == 18
    assert {t: occ.intervals(t) for t in f.table_ids} == before


def test_protection_played_forward_refuses_with_its_reason_and_keeps_the_six_top():
    f = floor(table("T2", hi=2), table("T6", lo=1, hi=6))
    occ = Occupancy(f)
    occ.add(("T2",), PEAK - 30, PEAK + 90, "earlier-two")
    demand = DemandProfile(turns=TURNS, party_mix={6: 1.0})  # every later party needs the six-top
    weights = Weights(protection_load=0.2, protection_samples=4, protection_arrivals=1.0)
    d = Engine(f, weights=weights, demand=demand).decide(Request("two", 2, PEAK, PEAK + 100), occ)
    assert d.plans == ()
    assert d.refusal.startswith(
        "capacity protection: seating 2 on the last free 6-top T6 at 19:30 would cost an expected "
    )
    cost = float(d.refusal.split("an expected ")[1].split(" later covers")[0])
    assert (
        cost >= 6.0
    )  # at least the six that would have sat there in every draw (two, when their times allow)
    # one later request a draw, and only couples: seating this couple costs at most the couple it displaces
    one_couple = Weights(protection_load=0.2, protection_samples=4, protection_arrivals=0.5)
    couples = Engine(f, weights=one_couple, demand=DemandProfile(turns=TURNS, party_mix={2: 1.0}))
    assert couples.decide(Request("two", 2, PEAK, PEAK + 100), occ).best.tables == ("T6",)


@common
@given(floors(), days(), st.sampled_from([0.3, 0.6, 0.9]))
def test_played_refusals_only_at_or_above_the_threshold_and_with_a_reason(f, requests, threshold):
    weights = Weights(protection_load=threshold, protection_margin=0.5, protection_samples=3)
    guarded, plain = Engine(f, weights=weights), Engine(f)
    occ = Occupancy(f)
    for r in requests:
        d = guarded.decide(r, occ)
        if d.refusal is not None:
            assert d.plans == ()
            assert guarded.seats_taken(r, occ) >= threshold
            assert guarded.demand.intensity_at(r.start) >= weights.protection_peak
            assert d.refusal.startswith(f"capacity protection: seating {r.party_size} on ")
            assert plain.decide(r, occ).plans
        elif guarded.seats_taken(r, occ) < threshold:
            assert [p.tables for p in d.plans] == [p.tables for p in plain.decide(r, occ).plans]
        if d.best:
            occ.add(d.best.tables, r.start, r.end, r.booking_id)


@common
@given(floors(), days(), days())
def test_rollouts_read_no_booking_still_to_come_and_plans_stay_valid(f, requests, other_future):
    from .helpers import plan_problems

    k = len(requests) // 2
    future = [
        Request(f"F{r.booking_id}", r.party_size, r.start, r.end, r.preferred_zone, r.accessible)
        for r in other_future
    ]
    weights = Weights(rollout_samples=3, rollout_arrivals=1.0, protection_load=0.3, protection_samples=3)

    def decisions(day):
        engine = Engine(f, weights=weights)
        occ = Occupancy(f)
        out = []
        for r in day:
            d = engine.decide(r, occ)
            for p in d.plans:
                assert not plan_problems(f, r, p.tables)
                assert all(occ.is_free(t, r.start, r.end) for t in p.tables)
            out.append(([p.tables for p in d.plans], d.refusal))
            if d.best:
                occ.add(d.best.tables, r.start, r.end, r.booking_id)
        return out

    first = decisions(requests[:k] + requests[k:])
    assert first == decisions(requests[:k] + requests[k:])  # deterministic
    assert first[:k] == decisions(requests[:k] + future)[:k]
