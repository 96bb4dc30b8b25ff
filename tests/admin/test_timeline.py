"""The day's timeline: the admin page that draws it as SVG (the pure layout: tests/assignments/test_timeline_layout.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Hold
from assignments.selectors.timeline import (
    restaurant_day_timeline,
)
from assignments.services.allocations import allocations_create
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import DAY, at


# -- the page -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_draws_bars_for_allocations_and_hatched_holds(restaurant, viewer_client):
    seated = confirmed_at(restaurant, ["M2", "M3"], party_size=6, start="19:00")
    hold = Hold.objects.create(
        restaurant=restaurant,
        party_size=4,
        start_at=at("20:00"),
        end_at=at("21:45"),
        expires_at=timezone.now() + timedelta(minutes=15),
    )
    allocations_create(
        tables=[restaurant.tables.get(label="T1")], start_at=hold.start_at, end_at=hold.end_at, hold=hold
    )
    expired = Hold.objects.create(
        restaurant=restaurant,
        start_at=at("18:00"),
        end_at=at("19:00"),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    allocations_create(
        tables=[restaurant.tables.get(label="M1")],
        start_at=expired.start_at,
        end_at=expired.end_at,
        hold=expired,
    )
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"

    response = viewer_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<svg class="maitre-timeline"')
    svg = html[start : html.index("</svg>", start)]
    bookings = re.findall(r'<g class="maitre-bar maitre-booking maitre-state-confirmed', svg)
    holds = re.findall(r'<g class="maitre-bar maitre-hold', svg)
    assert (
        len(bookings) == 2 and len(holds) == 1
    )  # one bar per table of the booking; the expired hold is gone
    assert 'fill="url(#maitre-hatch)"' in svg and '<pattern id="maitre-hatch"' in svg
    assert reverse("admin:assignments_booking_change", args=[seated.pk]) in svg
    assert f"{seated.external_ref or f'#{seated.pk}'} · 6p" in svg
    assert (
        ">MAIN ROOM<" in html and ">TERRACE<" in html
    )  # in the table column, which stays put when scrolling
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
    assert re.search(
        rf'<g class="maitre-bar maitre-waiting maitre-booking maitre-state-manual_review[^"]*"\s+'
        rf'data-booking="{booking.pk}"',
        html,
    )
    timeline = restaurant_day_timeline(restaurant=restaurant, day=DAY, focus_booking_id=booking.pk)
    assert timeline.free_for_focus == ("M2", "M3", "T1") and [w.booking.pk for w in timeline.waiting] == [
        booking.pk
    ]


@pytest.mark.django_db
def test_the_timeline_is_reachable_from_the_restaurant_and_booking_pages(restaurant, viewer_client):
    booking = in_review(restaurant)
    timeline = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])

    restaurant_page = viewer_client.get(reverse("admin:assignments_restaurant_change", args=[restaurant.pk]))
    booking_page = viewer_client.get(reverse("admin:assignments_booking_change", args=[booking.pk]))

    assert f'href="{timeline}"' in restaurant_page.content.decode()
    assert (
        f'href="{timeline}?date={DAY.isoformat()}&amp;booking={booking.pk}"' in booking_page.content.decode()
    )
    assert viewer_client.get(f"{timeline}?date=not-a-date").status_code == 200


@pytest.mark.django_db
def test_the_timeline_needs_a_staff_login(restaurant, client):
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_a_touch_screen_gets_rows_a_finger_can_hit_and_a_mouse_keeps_the_dense_ones(
    restaurant, viewer_client
):
    """The console's pages set the maitre_touch cookie on a touch screen (admin/assignments/touch.html)."""
    confirmed_at(restaurant, ["M1"], start="19:00")
    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"

    def bar_height() -> float:
        html = viewer_client.get(url).content.decode()
        svg = html[html.index('<svg class="maitre-timeline"') :]
        return float(
            re.search(r'<g class="maitre-bar maitre-booking[^>]*>.*?<rect [^>]*height="([\d.]+)"', svg, re.S)[
                1
            ]
        )

    assert bar_height() == 20.0  # a laptop: 26 px rows
    viewer_client.cookies["maitre_touch"] = "1"
    assert bar_height() == 34.0  # the host stand's tablet: 40 px rows
    assert restaurant_day_timeline(restaurant=restaurant, day=DAY, touch=True).layout.rows[0].height == 40.0
