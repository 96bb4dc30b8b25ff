"""The timeline's picture, pure: plain tables and entries in, SVG geometry and colours out, no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from assignments.presentation.timeline import (
    BLOCK_COLOUR,
    DAY_SPAN_MINUTES,
    HOLD_COLOUR,
    STATE_COLOURS,
    TimelineEntry,
    TimelineTable,
    state_colours,
    timeline_layout,
    timeline_range,
)

ROOT = Path(__file__).resolve().parents[2]

TABLES = [
    TimelineTable("T1", "terrace", "Terrace", 6),
    TimelineTable("M2", "main", "Main room", 4),
    TimelineTable("M1", "main", "Main room", 2),
]


def _entry(table, start, end, kind="booking", state="confirmed", ref="b1", seated_end=None):
    return TimelineEntry(
        table=table,
        start=start,
        end=end,
        seated_end=seated_end or end,
        kind=kind,
        ref=ref,
        label=ref,
        title=ref,
        state=state,
        booking_id=1 if kind == "booking" else None,
    )


def test_layout_groups_tables_by_zone_in_priority_order_and_places_bars_on_the_time_axis():
    layout = timeline_layout(
        tables=TABLES,
        entries=[
            _entry("M2", 19 * 60, 21 * 60, seated_end=20 * 60 + 50),
            _entry("T1", 18 * 60, 19 * 60, kind="hold", state="", ref="h7"),
        ],
        start=17 * 60,
        end=24 * 60,
        zone_order=["main", "terrace"],
        minute_width=2.0,
        label_width=100.0,
        header_height=30.0,
        zone_height=20.0,
        row_height=26.0,
    )

    assert [z.name for z in layout.zones] == ["Main room", "Terrace"]
    assert [r.label for r in layout.rows] == ["M1", "M2", "T1"]
    assert layout.rows[0].y == 30 + 20 and layout.zones[1].y == 30 + 20 + 2 * 26
    booking, hold = sorted(layout.bars, key=lambda b: b.kind)
    assert (booking.x, booking.width) == (100 + 120 * 2.0, 120 * 2.0)
    assert booking.y == layout.rows[1].y + 3  # on M2's row
    assert (booking.buffer_x, booking.buffer_width) == (100 + 230 * 2.0, 10 * 2.0)
    assert booking.fill == STATE_COLOURS["confirmed"][0] and not booking.hatched
    assert hold.hatched and hold.fill == HOLD_COLOUR and hold.y == layout.rows[2].y + 3
    assert [t.label for t in layout.ticks if t.major] == [f"{h:02d}:00" for h in range(17, 24)] + ["00:00"]
    assert layout.width == 100 + 7 * 60 * 2.0 + 24


def _waiting(ref, start, end, covers=2):
    return TimelineEntry(
        table="",
        start=start,
        end=end,
        seated_end=end - 10,
        kind="waiting",
        ref=ref,
        label=ref,
        title=ref,
        state="manual_review",
        booking_id=int(ref[1:]),
        covers=covers,
    )


def test_waiting_bookings_are_packed_into_lanes_at_their_time_above_the_tables():
    waiting = [
        _waiting("b1", 19 * 60, 21 * 60),
        _waiting("b2", 19 * 60 + 30, 21 * 60),
        _waiting("b3", 21 * 60, 22 * 60),
        _waiting("b4", 20 * 60, 21 * 60),
    ]
    layout = timeline_layout(
        tables=TABLES,
        entries=[],
        waiting=waiting,
        start=17 * 60,
        end=24 * 60,
        zone_order=["main", "terrace"],
        minute_width=2.0,
        label_width=100.0,
    )

    assert layout.zones[0].name == "Waiting for a table (4)" and layout.waiting_lanes == 3
    lanes = {b.ref: b.y for b in layout.bars}
    assert lanes["b1"] == lanes["b3"] < lanes["b2"] < lanes["b4"]  # b3 starts when b1 ends: same lane
    starts = {w.ref: w.start for w in waiting}
    assert all(b.x == 100 + (starts[b.ref] - 17 * 60) * 2.0 for b in layout.bars)  # drawn at their time
    assert lanes["b4"] < layout.rows[3].y  # the lane sits above the first table row
    assert {b.table for b in layout.bars} == {""}  # no table to offer from a waiting lane

    capped = timeline_layout(
        tables=TABLES,
        entries=[],
        waiting=waiting,
        start=17 * 60,
        end=24 * 60,
        max_waiting_lanes=1,
        focus_ref="b4",
    )
    assert capped.waiting_hidden == 2 and capped.zones[0].name == "Waiting for a table (2, 2 more not drawn)"
    assert {b.ref for b in capped.bars} == {"b4", "b3"}  # the focus booking always gets a place


def test_the_covers_strip_counts_covers_seated_per_half_hour_and_the_legend_only_drawn_states():
    entries = [
        TimelineEntry(
            "M1", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b1", "b1", "b1", "confirmed", 1, covers=2
        ),
        TimelineEntry(
            "M2", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b2", "b2", "b2", "confirmed", 2, covers=4
        ),
        TimelineEntry(
            "M3", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b2", "b2", "b2", "confirmed", 2, covers=4
        ),
    ]
    layout = timeline_layout(tables=TABLES, entries=entries, start=18 * 60, end=21 * 60)
    counts = [n for _x, n in layout.covers]
    assert counts == [
        0,
        0,
        6,
        6,
        6,
        0,
    ]  # 18:15, 18:45, 19:15, 19:45, 20:15, 20:45: a joined booking counts once
    assert layout.states == ("confirmed",)


def test_the_range_is_the_service_unless_the_whole_day_is_asked_for():
    stray = [_entry("M1", 9 * 60, 10 * 60, kind="hold", state="", ref="h1")]
    periods = [{"name": "dinner", "start": "17:00", "end": "23:30"}]
    assert timeline_range(service_periods=periods, entries=stray, whole_day=False) == (17 * 60, 24 * 60)
    assert timeline_range(service_periods=periods, entries=stray, whole_day=True) == (9 * 60, 24 * 60)


def test_layout_clips_bars_to_the_range_and_marks_the_focus_booking_and_its_free_tables():
    layout = timeline_layout(
        tables=TABLES,
        entries=[
            _entry("M1", 16 * 60, 18 * 60, ref="b1"),
            _entry("M2", 23 * 60, 26 * 60, ref="b2"),
            _entry("T1", 10 * 60, 11 * 60, ref="b3"),
        ],
        start=17 * 60,
        end=24 * 60,
        focus=(19 * 60, 21 * 60),
        focus_ref="b2",
        free_for_focus=frozenset({"T1"}),
        minute_width=1.0,
        label_width=0.0,
    )

    bars = {b.y: b for b in layout.bars}
    assert len(layout.bars) == 2  # the 10:00 bar is outside the range
    early = min(bars.values(), key=lambda b: b.x)
    assert (early.x, early.width) == (0.0, 60.0)
    late = max(bars.values(), key=lambda b: b.x)
    assert (late.x, late.width, late.focused) == (360.0, 60.0, True)
    assert (layout.focus.x, layout.focus.width, layout.focus.label) == (120.0, 120.0, "19:00–21:00")
    assert [r.label for r in layout.rows if r.free_for_focus] == ["T1"]


def test_range_covers_service_periods_past_midnight_and_every_entry():
    assert timeline_range(service_periods=[{"name": "d", "start": "17:30", "end": "00:30"}], entries=[]) == (
        17 * 60,
        25 * 60,
    )
    assert timeline_range(
        service_periods=[{"name": "d", "start": "18:00", "end": "22:00"}],
        entries=[_entry("M1", 12 * 60 + 15, 13 * 60)],
    ) == (12 * 60, 22 * 60)


def test_the_layout_module_imports_no_django():
    code = "import sys; import assignments.presentation.timeline; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_blocks_are_hatched_in_their_colour_and_an_unknown_state_gets_a_neutral_one():
    layout = timeline_layout(
        tables=TABLES,
        entries=[
            _entry("M1", 18 * 60, 20 * 60, kind="block", state="", ref="k1"),
            _entry("M2", 18 * 60, 20 * 60, state="on_the_moon", ref="b9"),
        ],
        start=17 * 60,
        end=23 * 60,
    )
    block, odd = sorted(layout.bars, key=lambda b: b.ref)[1], sorted(layout.bars, key=lambda b: b.ref)[0]
    assert (block.kind, block.hatched, block.fill) == ("block", True, BLOCK_COLOUR)
    assert (odd.hatched, odd.fill) == (False, state_colours("on_the_moon")[0])
    assert odd.fill not in {bg for bg, _fg in STATE_COLOURS.values()}


def test_every_state_has_a_readable_badge_and_the_day_span_matches_the_reads():
    from datetime import timedelta

    from assignments.context import DAY_SPAN
    from assignments.models import BookingState

    assert set(STATE_COLOURS) == set(BookingState.values)
    assert set(STATE_COLOURS) == {
        "pending",
        "assignment_pending",
        "confirmed",
        "manual_review",
        "cancelled",
        "seated",
        "completed",
        "no_show",
    }
    assert all(bg != fg for bg, fg in STATE_COLOURS.values())
    assert timedelta(minutes=DAY_SPAN_MINUTES) == DAY_SPAN


def test_a_label_is_shown_only_when_the_bar_is_long_enough_for_it():
    long = TimelineEntry(
        table="M1",
        start=18 * 60,
        end=20 * 60,
        seated_end=20 * 60,
        kind="booking",
        ref="b1",
        label="#1 · 2p",
        title="",
        state="confirmed",
    )
    short = TimelineEntry(
        table="M2",
        start=18 * 60,
        end=18 * 60 + 5,
        seated_end=18 * 60 + 5,
        kind="booking",
        ref="b2",
        label="a very long label indeed",
        title="",
        state="confirmed",
    )
    bars = {
        b.ref: b
        for b in timeline_layout(tables=TABLES, entries=[long, short], start=17 * 60, end=23 * 60).bars
    }
    assert bars["b1"].show_label and not bars["b2"].show_label


def test_each_bar_names_the_table_whose_row_it_is_on():
    layout = timeline_layout(
        tables=TABLES,
        entries=[
            _entry("M2", 19 * 60, 21 * 60),
            _entry("T1", 19 * 60, 20 * 60, kind="block", state="", ref="k1"),
        ],
        waiting=[_waiting("b9", 19 * 60, 21 * 60)],
        start=17 * 60,
        end=24 * 60,
    )
    rows = {r.label: r for r in layout.rows if r.label}
    bars = {b.ref: b for b in layout.bars}
    assert (bars["b1"].table, bars["k1"].table, bars["b9"].table) == ("M2", "T1", "")
    assert rows["M2"].y < bars["b1"].y < rows["M2"].y + rows["M2"].height  # the row a tap on the bar offers
