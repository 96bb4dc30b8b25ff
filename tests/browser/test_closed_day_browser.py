"""A manager closes tonight (a burst pipe) on the restaurant page while bookings are confirmed: the save warns with
the list, nobody is cancelled, the booking still waiting for a table goes to review with the reason, and the review
queue lists the confirmed ones to call. Screenshots (1366x768): artifacts/screenshots/closed-day-saved.png and
closed-day-queue.png."""

from __future__ import annotations

import re

import pytest

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState
from tests.admin.conftest import evening_to_call
from tests.browser.conftest import sign_in_as_manager
from tests.factories import DAY, DAY_LONG, DAY_SHORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_closing_tonight_warns_and_the_queue_lists_the_guests_to_call(
    live_server, browser_page, restaurant, artifacts_dir
):
    guests = [
        ("Ada Lovelace", ["M1"], 2, "19:00"),
        ("Grace Hopper", ["M2"], 4, "19:30"),
        ("Alan Turing", ["T1"], 6, "20:00"),
    ]
    confirmed, waiting = evening_to_call(restaurant, guests, waiting_at="21:00")

    page = browser_page
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)

    group = page.locator("#scheduleexceptions-group")
    group.locator(".add-row a").click()
    row = group.locator("tr.form-row.dynamic-scheduleexceptions").last
    row.locator("input[name$='-date']").fill(DAY.isoformat())
    row.locator("input[name$='-note']").fill("burst pipe")
    row.locator("input[name$='-closed']").check()
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    warning = page.locator("ul.messagelist li.warning").inner_text()
    assert warning.startswith(f"Closed on {DAY_LONG} (burst pipe): 3 confirmed booking(s), 12 covers")
    assert "Ada Lovelace 2p 19:00" in warning and "Nothing was cancelled" in warning
    page.screenshot(path=str(artifacts_dir / "closed-day-saved.png"))
    assert all(Booking.objects.get(pk=b.pk).state == BookingState.CONFIRMED for b in confirmed)

    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # the worker's pass
    assert Booking.objects.get(pk=waiting.pk).state == BookingState.MANUAL_REVIEW

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    box = page.locator("#maitre-closed-days")
    text = box.inner_text()
    assert f"Closed on {DAY_LONG} (burst pipe): 3 bookings, 12 covers" in text
    assert "Grace Hopper 4p 19:30" in text
    assert f"{DAY_SHORT} · closed: 2 waiting" in page.inner_text("#maitre-service-counts")
    rows = page.inner_text("#result_list")
    assert "Barbara Liskov" in rows and "Edsger Dijkstra" in rows
    assert rows.count(f"closed on {DAY_LONG} (burst pipe)") == 2  # both waiting bookings say why
    page.screenshot(path=str(artifacts_dir / "closed-day-queue.png"))
