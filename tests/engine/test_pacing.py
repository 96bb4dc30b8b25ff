"""The pure pacing ledger: covers and bookings starting per slot and covers per service."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assignments.engine.pacing import PacedService, PacingLedger, PacingLimits

DINNER = PacedService("dinner", 17 * 60, 23 * 60, PacingLimits(covers_per_slot=30, bookings_per_slot=None))


def test_a_slot_full_of_covers_refuses_with_the_figures():
    ledger = PacingLedger([DINNER], slot_minutes=15)
    ledger.add_many([(f"b{i}", 19 * 60 + 30, 6) for i in range(5)])  # 30 covers at 19:30
    assert ledger.refusal(19 * 60 + 30, 2) == "pacing: 19:30 already has 30 of 30 covers starting"
    assert (
        ledger.refusal(19 * 60 + 40, 2) == "pacing: 19:30 already has 30 of 30 covers starting"
    )  # same slot
    assert ledger.refusal(19 * 60 + 45, 2) is None
    ledger.remove("b0")
    assert ledger.refusal(19 * 60 + 30, 6) is None
    assert ledger.refusal(19 * 60 + 30, 7) == (
        "pacing: 19:30 already has 24 of 30 covers starting; a party of 7 would make 31"
    )
    assert ledger.room(19 * 60 + 30) == 6


def test_bookings_per_slot_and_covers_per_service():
    lunch = PacedService("lunch", 12 * 60, 15 * 60, PacingLimits(bookings_per_slot=2, covers_per_service=10))
    ledger = PacingLedger([lunch, DINNER], slot_minutes=30)
    ledger.add("b1", 12 * 60, 2)
    ledger.add("b2", 12 * 60 + 10, 2)
    assert ledger.refusal(12 * 60 + 20, 1) == "pacing: 12:00 already has 2 of 2 bookings starting"
    assert ledger.room(12 * 60) == 0
    ledger.add("b3", 13 * 60, 5)
    assert (
        ledger.refusal(14 * 60, 2) == "pacing: lunch already has 9 of 10 covers; a party of 2 would make 11"
    )
    assert ledger.refusal(14 * 60, 1) is None
    assert ledger.refusal(19 * 60, 8) is None  # dinner's limits, not lunch's
    assert ledger.refusal(16 * 60, 50) is None  # between services: not paced


def test_slots_run_from_the_service_start_and_past_midnight():
    late = PacedService("late", 22 * 60 + 10, 25 * 60, PacingLimits(covers_per_slot=4))
    ledger = PacingLedger([late], slot_minutes=15)
    assert ledger.slot_of(22 * 60 + 24) == 22 * 60 + 10
    ledger.add("b1", 24 * 60 + 5, 4)
    assert ledger.refusal(24 * 60 + 9, 1) == "pacing: 23:55 already has 4 of 4 covers starting"
    assert ledger.refusal(24 * 60 + 10, 4) is None  # 00:10 is the next slot


@settings(max_examples=150, deadline=None)
@given(
    limits=st.builds(
        PacingLimits,
        st.none() | st.integers(1, 12),
        st.none() | st.integers(1, 4),
        st.none() | st.integers(1, 40),
    ),
    requests=st.lists(st.tuples(st.integers(17 * 60, 23 * 60 - 1), st.integers(1, 8)), max_size=40),
)
def test_admitting_what_the_ledger_allows_never_breaks_a_limit_and_refusals_are_exact(limits, requests):
    service = PacedService("dinner", 17 * 60, 23 * 60, limits)
    ledger = PacingLedger([service], slot_minutes=15)
    admitted: list[tuple[int, int]] = []
    for i, (start, covers) in enumerate(requests):
        slot = 17 * 60 + (start - 17 * 60) // 15 * 15
        in_slot = [c for s, c in admitted if 17 * 60 + (s - 17 * 60) // 15 * 15 == slot]
        would_break = (
            (limits.covers_per_slot is not None and sum(in_slot) + covers > limits.covers_per_slot)
            or (limits.bookings_per_slot is not None and len(in_slot) + 1 > limits.bookings_per_slot)
            or (
                limits.covers_per_service is not None
                and sum(c for _s, c in admitted) + covers > limits.covers_per_service
            )
        )
        refusal = ledger.refusal(start, covers)
        assert (refusal is not None) == would_break, (refusal, admitted, start, covers)
        if refusal is None:
            ledger.add(f"b{i}", start, covers)
            admitted.append((start, covers))
    # removing everything leaves an empty ledger
    for i in range(len(requests)):
        ledger.remove(f"b{i}")
    assert all(ledger.covers_starting(s) == 0 for s, _c in requests)
