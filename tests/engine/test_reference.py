"""The day's reference layout (engine/reference.py) and how the engine follows it."""

from hypothesis import given
from hypothesis import strategies as st

from assignments.engine import DemandProfile, Engine, Occupancy, Request, Weights, smallest_fit
from assignments.engine.engine import REFERENCE
from assignments.engine.reference import DayReference, ReferenceLayout, reference_plans

from .helpers import floor, plan_problems, table
from .test_properties import common, days, floors
from .test_regression_smallest_fit import TURNS, covers, evening


def two_rooms():
    return floor(
        table("M1", "main", 1, 2),
        table("M2", "main", 1, 4),
        table("P1", "patio", 1, 2),
        table("P2", "patio", 1, 4),
        zones={"main": 0, "patio": 1},
    )


def test_the_layout_seats_the_smallest_shape_and_the_zone_wish_only_breaks_ties():
    f = two_rooms()
    layout = ReferenceLayout(f)
    assert layout.plan(Request("a", 2, 1100, 1200)) == ("M1",)  # zone priority breaks the tie
    assert layout.plan(Request("b", 2, 1100, 1200, preferred_zone="patio")) == ("P1",)
    # the wish never buys a bigger table: with P1 taken, a couple asking for the patio gets M1
    layout.place(Request("c", 2, 1100, 1200), ("P1",))
    assert layout.plan(Request("d", 2, 1100, 1200, preferred_zone="patio")) == ("M1",)
    assert layout.add(Request("e", 2, 1100, 1200)) == ("M1",)
    assert layout.add(Request("f", 3, 1100, 1200)) == ("M2",)
    assert layout.add(Request("g", 3, 1100, 1200)) == ("P2",)
    assert layout.plan(Request("h", 1, 1150, 1250)) == ()  # no room: it would turn it away
    assert layout.plan(Request("i", 1, 1200, 1300)) == ("M1",)  # free again after [1100, 1200)


def test_a_day_reference_extends_itself_and_starts_over_when_the_past_changed():
    f = two_rooms()
    day = [Request(f"b{i}", 2, 1100 + 10 * i, 1200 + 10 * i) for i in range(5)]
    ref = DayReference(f)
    same = ref.sync(day[:3])
    assert same is ref and ref.plans == {"b0": ("M1",), "b1": ("P1",), "b2": ("M2",)}
    assert ref.sync(day) is ref  # only the two new ones are fed
    assert ref.plans == reference_plans(f, day, [r.booking_id for r in day])
    cancelled = [r for r in day if r.booking_id != "b0"]  # b0 cancelled: b1 now gets M1
    fresh = ref.sync(cancelled)
    assert fresh is not ref
    assert fresh.plans["b1"] == ("M1",)
    assert fresh.plans == reference_plans(f, cancelled, [r.booking_id for r in cancelled])


@common
@given(floors(), days(), st.integers(0, 25))
def test_incremental_plans_equal_a_replay_from_scratch_and_are_free_valid_shapes(f, requests, cut):
    ref = DayReference(f).sync(requests[:cut]).sync(requests)
    scratch = reference_plans(f, requests, [r.booking_id for r in requests])
    assert ref.plans == scratch
    occ = Occupancy(f)
    for r in requests:
        tables = scratch[r.booking_id]
        if tables:
            assert not plan_problems(f, r, tables)
            assert all(occ.is_free(t, r.start, r.end) for t in tables)
            occ.add(tables, r.start, r.end, r.booking_id)
        else:  # turned away only when smallest-fit itself finds nothing
            assert smallest_fit(f, r, occ) is None


@common
@given(floors(), days(), st.data())
def test_the_engine_only_ever_follows_a_free_valid_reference(f, requests, data):
    """Whatever the caller passes as the reference (a real one, a taken one, nonsense), every plan stays
    a free valid shape, and the reference goes first only when it is one of the engine's options."""
    engine = Engine(f)
    occ = Occupancy(f)
    ids = list(f.table_ids)
    for r in requests:
        reference = tuple(sorted(data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))))
        d = engine.decide(r, occ, reference=reference)
        for p in d.plans:
            assert not plan_problems(f, r, p.tables)
            assert all(occ.is_free(t, r.start, r.end) for t in p.tables)
        if d.best and d.best.strategy == REFERENCE:
            assert d.best.tables == reference
        if d.best:
            occ.add(d.best.tables, r.start, r.end, r.booking_id)


def _two_couples():
    """M1 (2-top, main) and P1 (2-top, patio): the second 4-top M2 is a bigger, worse plan for a couple."""
    f = floor(table("M1", "main", 1, 2), table("M2", "main", 1, 4), table("P1", "patio", 1, 2))
    return f, Engine(f, demand=DemandProfile(turns=TURNS))


def test_the_reference_goes_first_within_the_margin_and_says_why():
    f, engine = _two_couples()
    r = Request("a", 2, 19 * 60, 21 * 60)
    occ = Occupancy(f)
    own = engine.decide(r, occ).best.tables
    other = "P1" if own == ("M1",) else "M1"
    d = engine.decide(r, occ, reference=(other,))
    assert d.best.tables == (other,)
    assert d.best.strategy == REFERENCE
    assert "reference layout" in d.best.reason
    assert {o.strategy for o in d.outcomes} >= {REFERENCE}
    assert own in [p.tables for p in d.plans[1:]]  # the engine's own choice stays as the next plan


def test_the_reference_is_not_followed_beyond_the_margin_nor_against_the_zone_wish_nor_when_off():
    f, engine = _two_couples()
    r = Request("a", 2, 19 * 60, 21 * 60)
    occ = Occupancy(f)
    d = engine.decide(r, occ, reference=("M2",))  # two empty seats more: beyond the 0.5 margin
    assert d.best.tables != ("M2",)
    outcome = next(o for o in d.outcomes if o.strategy == REFERENCE)
    assert "not followed" in outcome.reason
    wish = Request("w", 2, 19 * 60, 21 * 60, preferred_zone="patio")
    assert engine.decide(wish, occ, reference=("M1",)).best.tables == ("P1",)
    off = Engine(f, weights=Weights(follow_reference=0), demand=DemandProfile(turns=TURNS))
    assert all(o.strategy != REFERENCE for o in off.decide(r, occ, reference=("P1",)).outcomes)
    assert off.decide(r, occ, reference=("P1",)).best == off.decide(r, occ).best
    d = engine.decide(r, occ, reference=())
    assert next(o for o in d.outcomes if o.strategy == REFERENCE).reason.startswith(
        "the reference layout has no room"
    )
    assert all(o.strategy != REFERENCE for o in engine.decide(r, occ).outcomes)  # no layout, no word of it


def test_following_the_reference_brings_the_crafted_evening_level_with_smallest_fit():
    """tests/engine/test_regression_smallest_fit.py's evening: the engine alone seats fewer covers than
    smallest-fit; following the day's reference layout it seats as many."""
    f, day = evening()
    engine = Engine(f, demand=DemandProfile(turns=TURNS))
    layout = ReferenceLayout(f)

    def follow(r, occ):
        reference = layout.plan(r)
        d = engine.decide(r, occ, reference=reference)
        layout.place(r, reference)
        return d.best, None

    by_sf, _ = covers(f, day, lambda r, occ: (smallest_fit(f, r, occ), None))
    alone, _ = covers(f, day, lambda r, occ: (engine.decide(r, occ).best, None))
    followed, _ = covers(f, day, follow)
    assert alone < by_sf
    assert followed >= by_sf
