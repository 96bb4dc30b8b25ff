"""next_free_start: the first minute a plan for a party frees up, checked against asking the engine minute by
minute (hypothesis), and the edges (free now, nothing before close, a later service period)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assignments.engine import Engine, Occupancy, Request
from assignments.engine.next_free import next_free_start
from tests.engine.helpers import floor, table

FLOOR = floor(
    table("A", hi=2), table("B", hi=4, combinable=True), table("C", hi=4, combinable=True), edges=[("B", "C")]
)
ENGINE = Engine(FLOOR)


def brute_force(occupancy, party, length, earliest, latest, may_start=None):
    for minute in range(earliest, latest + 1):
        if may_start is not None and not may_start(minute):
            continue
        if ENGINE.decide(Request("x", party, minute, minute + length), occupancy).plans:
            return minute
    return None


intervals = st.lists(
    st.tuples(st.sampled_from("ABC"), st.integers(1000, 1380), st.integers(10, 150)), max_size=8
)


@settings(max_examples=60, deadline=None)
@given(intervals, st.integers(1, 8), st.integers(30, 150), st.integers(1000, 1200))
def test_the_first_free_minute_is_the_one_asking_every_minute_finds(rows, party, length, earliest):
    occupancy = Occupancy(FLOOR)
    for i, (t, start, dur) in enumerate(rows):
        if occupancy.is_free(t, start, start + dur):
            occupancy.add([t], start, start + dur, f"b{i}")
    latest = 1400
    found = next_free_start(
        ENGINE, occupancy, party_size=party, length=length, earliest=earliest, latest=latest
    )
    expected = brute_force(occupancy, party, length, earliest, latest)
    assert (found[0] if found else None) == expected
    if found:
        minute, plan = found
        assert all(occupancy.is_free(t, minute, minute + length) for t in plan.tables)


def test_free_now_answers_now():
    occupancy = Occupancy(FLOOR)
    assert next_free_start(ENGINE, occupancy, party_size=2, length=100, earliest=1140, latest=1400)[0] == 1140


def test_nothing_before_close_is_none():
    occupancy = Occupancy(FLOOR)
    occupancy.add(["A"], 1000, 1440, "b1")
    occupancy.add(["B"], 1000, 1440, "b2")
    occupancy.add(["C"], 1000, 1440, "b3")
    assert next_free_start(ENGINE, occupancy, party_size=2, length=100, earliest=1140, latest=1409) is None


def test_a_later_service_period_counts_from_its_opening():
    occupancy = Occupancy(FLOOR)
    found = next_free_start(
        ENGINE,
        occupancy,
        party_size=2,
        length=90,
        earliest=900,
        latest=1400,
        openings=[1080],
        may_start=lambda m: 720 <= m < 870 or 1080 <= m < 1410,
    )
    assert found[0] == 1080
    assert (
        brute_force(occupancy, 2, 90, 900, 1400, may_start=lambda m: 720 <= m < 870 or 1080 <= m < 1410)
        == 1080
    )
