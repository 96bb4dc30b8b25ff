"""Capacity protection (opt-in): at the peak, a busy floor keeps its last big table for a big party."""

from hypothesis import given
from hypothesis import strategies as st

from assignments.engine import Engine, Occupancy, Request, Weights

from .helpers import floor, table
from .test_properties import common, days, floors

PEAK = 19 * 60 + 30
PROTECT = Weights(protection_load=0.2)


def busy_floor():
    f = floor(table("T2", hi=2), table("T6", lo=1, hi=6))
    occ = Occupancy(f)
    occ.add(("T2",), PEAK - 30, PEAK + 90, "earlier-two")
    return f, occ


def two_at(start):
    return Request("two", 2, start, start + 100)


def test_off_by_default_the_last_six_top_seats_a_couple():
    f, occ = busy_floor()
    d = Engine(f).decide(two_at(PEAK), occ)
    assert d.best is not None and d.best.tables == ("T6",)
    assert d.refusal is None


def test_at_the_peak_it_refuses_with_the_reason_and_no_plans():
    f, occ = busy_floor()
    d = Engine(f, weights=PROTECT).decide(two_at(PEAK), occ)
    assert d.plans == () and d.best is None
    assert d.refusal.startswith(
        "capacity protection: seating 2 on the last free 6-top T6 at 19:30 would cost an expected "
    )
    cost = float(d.refusal.split("an expected ")[1].split(" later covers")[0])
    assert cost > 2  # more later covers than the couple brings, or it would not have fired
    assert "25% of seats taken" in d.refusal


def test_never_fires_below_its_load_threshold_or_off_peak():
    f, occ = busy_floor()
    assert Engine(f, weights=Weights(protection_load=0.3)).decide(two_at(PEAK), occ).best.tables == ("T6",)
    occ.add(("T2",), 16 * 60, 18 * 60 + 50, "early-two")
    early = two_at(17 * 60)  # demand intensity 0.35 at 17:00: not the peak
    assert Engine(f, weights=PROTECT).decide(early, occ).best.tables == ("T6",)


def test_a_plan_that_costs_less_than_the_party_brings_is_seated():
    f, occ = busy_floor()
    d = Engine(f, weights=PROTECT).decide(Request("six", 6, PEAK, PEAK + 130), occ)
    assert d.best.tables == ("T6",) and d.refusal is None


@common
@given(floors(), days(), st.sampled_from([0.3, 0.6, 0.9]))
def test_refusals_only_at_or_above_the_threshold_and_with_a_reason(f, requests, threshold):
    weights = Weights(protection_load=threshold, protection_margin=0.5)
    guarded, plain = Engine(f, weights=weights), Engine(f)
    occ = Occupancy(f)
    for r in requests:
        d = guarded.decide(r, occ)
        if d.refusal is not None:
            assert d.plans == ()
            assert guarded.seats_taken(r, occ) >= threshold
            assert guarded.demand.intensity_at(r.start) >= weights.protection_peak
            assert d.refusal.startswith(f"capacity protection: seating {r.party_size} on ")
            assert plain.decide(r, occ).plans  # it only ever refuses a booking that had a plan
        elif guarded.seats_taken(r, occ) < threshold:
            assert [p.tables for p in d.plans] == [p.tables for p in plain.decide(r, occ).plans]
        if d.best:
            occ.add(d.best.tables, r.start, r.end, r.booking_id)
