"""The one-line reasons for review, on crafted floors: each names what a host would check."""

from __future__ import annotations

from assignments.engine import Occupancy, Request
from assignments.engine.reasons import explain_no_plan, hhmm
from tests.engine.helpers import floor, table

H = 60


def req(party: int, start: int = 19 * H, end: int = 21 * H, accessible: bool = False) -> Request:
    return Request("b1", party, start, end, None, accessible)


def terrace() -> object:
    return floor(
        table("W01", "window", 1, 4, combinable=True),
        table("W02", "window", 1, 2, combinable=True),
        table("W03", "window", 1, 2, combinable=True),
        table("M01", "main", 1, 6),
        table("M02", "main", 1, 6),
        table("A1", "main", 1, 4, accessible=True),
        table("A2", "main", 1, 4, accessible=True),
        edges=[("W01", "W02"), ("W02", "W03")],
    )


def test_party_too_large_for_the_floor_names_the_largest_combination():
    assert explain_no_plan(terrace(), req(11), Occupancy(terrace())) == (
        "party of 11: the largest table or combination here seats 8 (W01+W02+W03)"
    )


def test_party_needing_a_combination_names_the_largest_free_one_at_its_time():
    f = terrace()
    occ = Occupancy(f)
    occ.add(["W01"], 18 * H + 30, 20 * H, "b9")  # the 4-top of the window row is taken: only W02+W03 is left
    occ.add(["M01"], 19 * H, 21 * H, "b8")
    occ.add(["M02"], 19 * H, 21 * H, "b7")
    assert explain_no_plan(f, req(8, 19 * H + 30, 21 * H + 30), occ) == (
        "party of 8: the largest free combination at 19:30 seats 4 (W02+W03)"
    )


def test_accessibility_names_both_accessible_tables_and_the_window():
    f = terrace()
    occ = Occupancy(f)
    occ.add(["A1"], 18 * H, 20 * H, "b2")
    occ.add(["A2"], 20 * H, 22 * H, "b3")
    assert explain_no_plan(f, req(3, 19 * H, 21 * H + 15, accessible=True), occ) == (
        "needs step-free access: both accessible tables (A1, A2) taken 19:00-21:15"
    )


def test_accessibility_when_no_accessible_table_is_large_enough():
    f = terrace()
    assert explain_no_plan(f, req(6, accessible=True), Occupancy(f)) == (
        "needs step-free access: the largest accessible table or combination seats 4 (A1)"
    )


def test_every_table_of_the_size_taken():
    f = floor(
        table("S1", "main", 1, 2),
        table("S2", "main", 1, 2),
        table("B1", "main", 5, 6),
        table("B2", "main", 5, 6),
    )
    occ = Occupancy(f)
    occ.add(["B1"], 18 * H + 45, 20 * H, "b4")
    occ.add(["B2"], 20 * H + 30, 22 * H, "b5")
    assert explain_no_plan(f, req(6), occ) == (
        "every 6-top is taken 19:00-21:00 (free: S1 takes 1-2, S2 takes 1-2)"
    )


def test_every_table_taken_and_a_free_plan_named_when_the_floor_changed():
    f = floor(table("S1", "main", 1, 2), table("S2", "main", 1, 4))
    occ = Occupancy(f)
    occ.add(["S1", "S2"], 17 * H, 23 * H, "b6")
    assert explain_no_plan(f, req(2), occ) == "every table is taken 19:00-21:00"
    assert explain_no_plan(f, req(2), Occupancy(f)) == "a plan is free now: S1 seats 2 over 19:00-21:00"


def test_party_below_every_minimum():
    f = floor(table("B1", "main", 4, 6))
    assert explain_no_plan(f, req(2), Occupancy(f)) == "party of 2: every table here takes at least 4"


def test_times_past_midnight_wrap():
    assert hhmm(24 * H + 15) == "00:15"
