"""The day's timeline: the pure layout, and the admin page that draws it as SVG."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Hold
from assignments.selectors.timeline import (
    TimelineEntry,
    TimelineTable,
    restaurant_day_timeline,
    timeline_layout,
    timeline_range,
)
from assignments.services.allocations import allocations_create
from assignments.templatetags.maitre_admin import HOLD_COLOUR, STATE_COLOURS
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import DAY, at

TABLES = [
    TimelineTable("T1", "terrace", "Terrace", 6),
    TimelineTable("M2", "main", "Main room", 4),
    TimelineTable("M1", "main", "Main room", 2),
]


def _entry(table, start, end, kind="booking", state="confirmed", ref="b1", seated_end=None):
    return TimelineEntry(table=table, start=start, end=end, seated_end=seated_end or end, kind=kind, ref=ref,
                         label=ref, title=ref, state=state, booking_id=1 if kind == "booking" else None)


def test_layout_groups_tables_by_zone_in_priority_order_and_places_bars_on_the_time_axis():
    layout = timeline_layout(
        tables=TABLES,
        entries=[_entry("M2", 19 * 60, 21 * 60, seated_end=20 * 60 + 50), _entry("T1", 18 * 60, 19 * 60, kind="hold",
                                                                                  state="", ref="h7")],
        start=17 * 60, end=24 * 60, zone_order=["main", "terrace"], minute_width=2.0, label_width=100.0,
        header_height=30.0, zone_height=20.0, row_height=26.0,
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
    return TimelineEntry(table="", start=start, end=end, seated_end=end - 10, kind="waiting", ref=ref, label=ref,
                         title=ref, state="manual_review", booking_id=int(ref[1:]), covers=covers)


def test_waiting_bookings_are_packed_into_lanes_at_their_time_above_the_tables():
    waiting = [_waiting("b1", 19 * 60, 21 * 60), _waiting("b2", 19 * 60 + 30, 21 * 60),
               _waiting("b3", 21 * 60, 22 * 60), _waiting("b4", 20 * 60, 21 * 60)]
    layout = timeline_layout(tables=TABLES, entries=[], waiting=waiting, start=17 * 60, end=24 * 60,
                             zone_order=["main", "terrace"], minute_width=2.0, label_width=100.0)

    assert layout.zones[0].name == "Waiting for a table (4)" and layout.waiting_lanes == 3
    lanes = {b.ref: b.y for b in layout.bars}
    assert lanes["b1"] == lanes["b3"] < lanes["b2"] < lanes["b4"]  # b3 starts when b1 ends: same lane
    starts = {w.ref: w.start for w in waiting}
    assert all(b.x == 100 + (starts[b.ref] - 17 * 60) * 2.0 for b in layout.bars)  # drawn at their time
    assert lanes["b4"] < layout.rows[3].y  # the lane sits above the first table row

    capped = timeline_layout(tables=TABLES, entries=[], waiting=waiting, start=17 * 60, end=24 * 60,
                             max_waiting_lanes=1, focus_ref="b4")
    assert capped.waiting_hidden == 2 and capped.zones[0].name == "Waiting for a table (2, 2 more not drawn)"
    assert {b.ref for b in capped.bars} == {"b4", "b3"}  # the focus booking always gets a place


def test_the_covers_strip_counts_covers_seated_per_half_hour_and_the_legend_only_drawn_states():
    entries = [
        TimelineEntry("M1", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b1", "b1", "b1", "confirmed", 1, covers=2),
        TimelineEntry("M2", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b2", "b2", "b2", "confirmed", 2, covers=4),
        TimelineEntry("M3", 19 * 60, 20 * 60 + 40, 20 * 60 + 30, "booking", "b2", "b2", "b2", "confirmed", 2, covers=4),
    ]
    layout = timeline_layout(tables=TABLES, entries=entries, start=18 * 60, end=21 * 60)
    counts = [n for _x, n in layout.covers]
    assert counts == [0, 0, 6, 6, 6, 0]  # 18:15, 18:45, 19:15, 19:45, 20:15, 20:45: a joined booking counts once
    assert layout.states == ("confirmed",)


def test_the_range_is_the_service_unless_the_whole_day_is_asked_for():
    stray = [_entry("M1", 9 * 60, 10 * 60, kind="hold", state="", ref="h1")]
    periods = [{"name": "dinner", "start": "17:00", "end": "23:30"}]
    assert timeline_range(service_periods=periods, entries=stray, whole_day=False) == (17 * 60, 24 * 60)
    assert timeline_range(service_periods=periods, entries=stray, whole_day=True) == (9 * 60, 24 * 60)


def test_layout_clips_bars_to_the_range_and_marks_the_focus_booking_and_its_free_tables():
    layout = timeline_layout(
        tables=TABLES,
        entries=[_entry("M1", 16 * 60, 18 * 60, ref="b1"), _entry("M2", 23 * 60, 26 * 60, ref="b2"),
                 _entry("T1", 10 * 60, 11 * 60, ref="b3")],
        start=17 * 60, end=24 * 60, focus=(19 * 60, 21 * 60), focus_ref="b2", free_for_focus=frozenset({"T1"}),
        minute_width=1.0, label_width=0.0,
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
        17 * 60, 25 * 60)
    assert timeline_range(service_periods=[{"name": "d", "start": "18:00", "end": "22:00"}],
                          entries=[_entry("M1", 12 * 60 + 15, 13 * 60)]) == (12 * 60, 22 * 60)


# -- the page -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_draws_bars_for_allocations_and_hatched_holds(restaurant, viewer_client):
    seated = confirmed_at(restaurant, ["M2", "M3"], party_size=6, start="19:00")
    hold = Hold.objects.create(restaurant=restaurant, party_size=4, start_at=at("20:00"), end_at=at("21:45"),
                               expires_at=timezone.now() + timedelta(minutes=15))
    allocations_create(tables=[restaurant.tables.get(label="T1")], start_at=hold.start_at, end_at=hold.end_at,
                       hold=hold)
    expired = Hold.objects.create(restaurant=restaurant, start_at=at("18:00"), end_at=at("19:00"),
                                  expires_at=timezone.now() - timedelta(minutes=1))
    allocations_create(tables=[restaurant.tables.get(label="M1")], start_at=expired.start_at,
                       end_at=expired.end_at, hold=expired)
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"

    response = viewer_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<svg class="maitre-timeline"')
    svg = html[start:html.index("</svg>", start)]
    bookings = re.findall(r'<g class="maitre-bar maitre-booking maitre-state-confirmed', svg)
    holds = re.findall(r'<g class="maitre-bar maitre-hold', svg)
    assert len(bookings) == 2 and len(holds) == 1  # one bar per table of the booking; the expired hold is gone
    assert 'fill="url(#maitre-hatch)"' in svg and '<pattern id="maitre-hatch"' in svg
    assert reverse("admin:assignments_booking_change", args=[seated.pk]) in svg
    assert f"{seated.external_ref or f'#{seated.pk}'} · 6p" in svg
    assert ">MAIN ROOM<" in html and ">TERRACE<" in html  # in the table column, which stays put when scrolling
    assert html.index(">M1") < html.index(">M2") < html.index(">T1")


@pytest.mark.django_db
def test_a_booking_in_review_shows_the_tables_free_at_its_time(restaurant, viewer_client):
    confirmed_at(restaurant, ["M1"], start="18:30")
    booking = in_review(restaurant, party_size=2, start="19:00")
    base = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])

    html = viewer_client.get(f"{base}?date={DAY.isoformat()}&booking={booking.pk}").content.decode()

    free = re.findall(r'class="maitre-row maitre-free-row" data-table="(\w+)"', html)
    assert free == ["M2", "M3", "T1"]
    assert "Free over its window" in html and "M2, M3, T1" in html
    assert 'class="maitre-focus-band"' in html
    # the booking waits in the waiting lane, at its time, ready to be picked and dropped on a table
    assert "WAITING FOR A TABLE (1)" in html
    assert re.search(rf'<g class="maitre-bar maitre-waiting maitre-booking maitre-state-manual_review[^"]*"\s+'
                     rf'data-booking="{booking.pk}"', html)
    timeline = restaurant_day_timeline(restaurant=restaurant, day=DAY, focus_booking_id=booking.pk)
    assert timeline.free_for_focus == ("M2", "M3", "T1") and [w.booking.pk for w in timeline.waiting] == [booking.pk]


@pytest.mark.django_db
def test_the_timeline_is_reachable_from_the_restaurant_and_booking_pages(restaurant, viewer_client):
    booking = in_review(restaurant)
    timeline = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])

    restaurant_page = viewer_client.get(reverse("admin:assignments_restaurant_change", args=[restaurant.pk]))
    booking_page = viewer_client.get(reverse("admin:assignments_booking_change", args=[booking.pk]))

    assert f'href="{timeline}"' in restaurant_page.content.decode()
    assert f'href="{timeline}?date={DAY.isoformat()}&amp;booking={booking.pk}"' in booking_page.content.decode()
    assert viewer_client.get(f"{timeline}?date=not-a-date").status_code == 200


@pytest.mark.django_db
def test_the_timeline_needs_a_staff_login(restaurant, client):
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
    assert client.get(url).status_code == 302
