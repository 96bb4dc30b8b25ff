import pytest

from assignments.engine import Occupancy

from .helpers import floor, table


def test_candidates_are_singles_and_connected_same_zone_combinable_groups():
    f = floor(
        table("A", hi=2, combinable=True),
        table("B", hi=2, combinable=True),
        table("C", hi=2, combinable=True),
        table("D", hi=4, combinable=False),
        table("P", zone="patio", hi=2, combinable=True),
        edges=[("A", "B"), ("B", "C"), ("C", "D"), ("C", "P")],
    )
    shapes = {c.tables for c in f.candidates}
    assert {("A",), ("B",), ("C",), ("D",), ("P",)} <= shapes
    assert ("A", "B") in shapes and ("B", "C") in shapes and ("A", "B", "C") in shapes
    assert ("A", "C") not in shapes  # not adjacent
    assert not any("D" in s and len(s) > 1 for s in shapes)  # not combinable
    assert not any("P" in s and len(s) > 1 for s in shapes)  # other zone
    assert f.candidates is f.candidates  # enumerated once


def test_max_combination_tables_is_respected():
    f = floor(
        *(table(f"T{i}", combinable=True) for i in range(5)),
        edges=[(f"T{i}", f"T{i + 1}") for i in range(4)],
        max_join=2,
    )
    assert max(c.size for c in f.candidates) == 2


def test_dominated_combinations_are_not_offered():
    f = floor(
        table("A", hi=4, combinable=True),
        table("B", hi=2, combinable=True),
        table("C", hi=2, combinable=True),
        edges=[("A", "B"), ("B", "C")],
    )
    four = {c.tables for c in f.candidates_for(4)}
    assert four == {("A",), ("B", "C")}  # A+B is dominated by A alone
    assert {c.tables for c in f.candidates_for(6)} == {("A", "B")}
    assert {c.tables for c in f.candidates_for(8)} == {("A", "B", "C")}


def test_occupancy_half_open_intervals_and_remove():
    occ = Occupancy(["A", "B"])
    occ.add(["A"], 100, 200, "b1")
    assert not occ.is_free("A", 150, 160)
    assert not occ.is_free("A", 50, 101)
    assert occ.is_free("A", 200, 300) and occ.is_free("A", 0, 100)
    assert occ.is_free("B", 100, 200)
    assert occ.window("A", 220, 260) == (True, 200, None)
    occ.add(["A", "B"], 300, 400, "b2")
    assert occ.window("A", 220, 260) == (True, 200, 300)
    copy = occ.copy()
    occ.remove("b1")
    assert occ.is_free("A", 150, 160) and not copy.is_free("A", 150, 160)
    assert occ.tables_of("b2") == ("A", "B")


def test_occupancy_tolerates_overlapping_input():
    occ = Occupancy(["A"])
    occ.add(["A"], 0, 500, "long")
    occ.add(["A"], 100, 150, "short")  # overlapping data must still answer correctly
    assert not occ.is_free("A", 200, 250)
    assert occ.is_free("A", 500, 600)


def test_occupancy_rejects_empty_interval():
    with pytest.raises(ValueError):
        Occupancy(["A"]).add(["A"], 10, 10, "x")
