"""`Held.freed_by`, the rule by which a move says it freed time, against a minute-by-minute count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from assignments.services.freed import Held

T0 = datetime(2026, 12, 5, 17, tzinfo=UTC)
TABLES = st.frozensets(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=3)
SPAN = st.tuples(st.integers(0, 300), st.integers(1, 200)).map(lambda p: (p[0], p[0] + p[1]))


@given(old=TABLES, new=TABLES, old_span=SPAN, new_span=SPAN)
def test_a_move_frees_time_exactly_when_some_old_table_minute_is_no_longer_held(old, new, old_span, new_span):
    held = Held(1, 1, old, T0 + timedelta(minutes=old_span[0]), T0 + timedelta(minutes=old_span[1]))
    window = (T0 + timedelta(minutes=new_span[0]), T0 + timedelta(minutes=new_span[1]))
    let_go = any(
        not (t in new and new_span[0] <= m < new_span[1])
        for t in old
        for m in range(old_span[0], old_span[1])
    )
    assert held.freed_by(sorted(new), window) is let_go


@given(old=TABLES, old_span=SPAN)
def test_a_release_always_frees_what_was_held(old, old_span):
    held = Held(1, 1, old, T0 + timedelta(minutes=old_span[0]), T0 + timedelta(minutes=old_span[1]))
    assert held.freed_by() is True
