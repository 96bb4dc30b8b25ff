"""A manager corrects the restaurant's time zone (London to Istanbul) on the restaurant page while bookings are
confirmed: every booking's local time moves 3 h later, the save warns how many now fall outside dinner (17:00-22:00)
and lists them, nobody is cancelled, and the couple still waiting for a table goes to review naming the zone change.
Screenshot (1366x768): artifacts/screenshots/timezone-changed-saved.png."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, Restaurant
from tests.admin.conftest import evening_to_call
from tests.browser.conftest import sign_in_as_manager
from tests.factories import DAY, DAY_SHORT, LONDON, put_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_time_zone_warns_of_the_bookings_now_outside_the_hours(
    live_server, browser_page, restaurant, artifacts_dir
):
    Restaurant.objects.filter(pk=restaurant.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "22:00"}]
    )
    guests = [
        ("Ada Lovelace", ["M1"], 2, "18:00"),  # 21:00 in Istanbul: still inside
        ("Grace Hopper", ["M2"], 4, "20:00"),
        ("Alan Turing", ["T1"], 6, "19:30"),
    ]
    confirmed, waiting = evening_to_call(restaurant, guests, waiting_at="20:30")

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)
    page.fill("#id_timezone", "Europe/Istanbul")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))

    zone, day = page.locator("ul.messagelist li.warning").all_inner_texts()
    assert zone.startswith(
        "The time zone changed from Europe/London to Europe/Istanbul: bookings keep their moment, so every"
        " booking's local time moved 3 h later (20:00 is now 23:00). From today on, 2 confirmed booking(s)"
    ), zone
    assert f"Barbara Liskov 2p {DAY_SHORT} 23:30" in zone and "Nothing was cancelled" in zone
    assert day.startswith("The service hours: dinner 17:00-22:00: 2 confirmed booking(s), 10 covers"), day
    assert "Alan Turing 6p 22:30" in day and "Grace Hopper 4p 23:00" in day and "Ada Lovelace" not in day
    page.screenshot(path=str(artifacts_dir / "timezone-changed-saved.png"))
    assert all(Booking.objects.get(pk=b.pk).state == BookingState.CONFIRMED for b in confirmed)

    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # the worker's pass
    waiting.refresh_from_db()
    assert waiting.state == BookingState.MANUAL_REVIEW
    assert waiting.history.order_by("version").last().metadata["reason"] == (
        "23:30 is outside the service hours (dinner 17:00-22:00); the restaurant's time zone changed from"
        " Europe/London to Europe/Istanbul"
    )


def test_bookings_in_both_seasons_are_told_both_shifts(live_server, browser_page, restaurant, artifacts_dir):
    """Istanbul keeps no summer time: the December bookings move 3 h, Ada Lovelace's July one 2 h; the warning
    gives the December shift and the July one with its day. Screenshot: timezone-changed-two-shifts.png."""
    Restaurant.objects.filter(pk=restaurant.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "22:00"}]
    )
    guests = [("Ada Lovelace", ["M1"], 2, "18:00"), ("Grace Hopper", ["M2"], 4, "20:00")]
    (ada, _), _ = evening_to_call(restaurant, guests, waiting_at="20:30")
    july = datetime(DAY.year + 1, 7, 3, 18, tzinfo=LONDON)
    put_at(ada, july)

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in_as_manager(page, live_server, f"/admin/assignments/restaurant/{restaurant.pk}/change/")
    page.fill("#id_timezone", "Europe/Istanbul")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))

    zone = page.locator("ul.messagelist li.warning").first.inner_text()
    assert (
        "moved 3 h later (20:00 is now 23:00), but 2 h later (20:00 is now 22:00) on"
        f" {july:%a %d %b %Y} (the two zones keep summer time on different dates, or one never does)."
    ) in zone, zone
    page.screenshot(path=str(artifacts_dir / "timezone-changed-two-shifts.png"))
