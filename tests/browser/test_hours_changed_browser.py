"""A manager shortens tonight's dinner (special hours for a private party from 21:00) on the restaurant page while
bookings are confirmed: the save warns how many fall outside, nobody is cancelled or moved, the booking still
waiting for a table goes to review naming the new hours, and the review queue lists the confirmed ones to call.
Screenshots (1366x768): artifacts/screenshots/hours-changed-saved.png and hours-changed-queue.png; and a late
service removed, giving a 00:45 booking back to Saturday: hours-late-service-removed.png."""

from __future__ import annotations

import re

import pytest

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState
from tests.admin.conftest import evening_to_call
from tests.browser.conftest import sign_in_as_manager
from tests.factories import DAY, DAY_LONG, DAY_SHORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOURS = f"Special hours on {DAY_LONG} (private party from 21:00): dinner 17:00-21:00"


def test_shortening_tonight_warns_and_the_queue_lists_the_guests_to_call(
    live_server, browser_page, restaurant, artifacts_dir
):
    guests = [
        ("Ada Lovelace", ["M1"], 2, "19:00"),  # stays inside
        ("Grace Hopper", ["M2"], 4, "21:00"),
        ("Alan Turing", ["T1"], 6, "21:30"),
    ]
    confirmed, waiting = evening_to_call(restaurant, guests, waiting_at="22:00")

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)

    group = page.locator("#scheduleexceptions-group")
    group.locator(".add-row a").click()
    row = group.locator("tr.form-row.dynamic-scheduleexceptions").last
    row.locator("input[name$='-date']").fill(DAY.isoformat())
    row.locator("input[name$='-note']").fill("private party from 21:00")
    row.locator("input[name$='-name']").fill("dinner")
    row.locator("input[name$='-start']").fill("17:00")
    row.locator("input[name$='-end']").fill("21:00")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    warning = page.locator("ul.messagelist li.warning").inner_text()
    assert warning.startswith(f"{HOURS}: 2 confirmed booking(s), 10 covers, start outside these hours"), (
        warning
    )
    assert "Grace Hopper 4p 21:00" in warning and "Alan Turing 6p 21:30" in warning
    assert "Ada Lovelace" not in warning and "Nothing was cancelled" in warning
    page.screenshot(path=str(artifacts_dir / "hours-changed-saved.png"))
    assert all(Booking.objects.get(pk=b.pk).state == BookingState.CONFIRMED for b in confirmed)

    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # the worker's pass
    assert Booking.objects.get(pk=waiting.pk).state == BookingState.MANUAL_REVIEW

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    text = page.locator("#maitre-closed-days").inner_text()
    assert f"{HOURS}: 2 bookings, 10 covers" in text
    assert "Grace Hopper 4p 21:00" in text and "Ada Lovelace" not in text
    rows = page.inner_text("#result_list")
    assert "Barbara Liskov" in rows and "Edsger Dijkstra" in rows
    assert "22:00 is outside the service hours (dinner 17:00-21:00); special hours that day" in rows
    page.screenshot(path=str(artifacts_dir / "hours-changed-queue.png"))


def test_removing_fridays_late_service_gives_the_0045_booking_back_to_saturday_and_warns(
    live_server, browser_page, restaurant, artifacts_dir
):
    """Friday's dinner ran to 01:30, so Grace Hopper's 00:45 Saturday-morning table was Friday's; the manager
    removes the late service: her booking is Saturday's again, outside Saturday's dinner, and the save says so
    (nobody is cancelled). Screenshot: artifacts/screenshots/hours-late-service-removed.png."""
    from datetime import time, timedelta

    from assignments import lifecycle
    from assignments.models import WeeklyService
    from assignments.services.schedule import schedule_change_follow
    from tests.factories import make_booking

    friday = DAY - timedelta(days=1)
    WeeklyService.objects.create(
        restaurant=restaurant, weekday=friday.weekday(), name="late dinner", start=time(18), end=time(1, 30)
    )
    schedule_change_follow(restaurant=restaurant, dates={friday})
    late = make_booking(restaurant, start="00:45", guest_name="Grace Hopper")
    lifecycle.booking_request_assignment(booking=late)
    assert Booking.objects.get(pk=late.pk).service_date == friday
    assign_due(restaurant_id=restaurant.pk, service_date=friday)
    assert Booking.objects.get(pk=late.pk).state == BookingState.CONFIRMED

    page = browser_page
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)
    page.locator("#weeklyservices-group input[name$='-DELETE']").first.check()
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))

    late.refresh_from_db()
    assert (late.service_date, late.state) == (DAY, BookingState.CONFIRMED)
    warning = page.locator("ul.messagelist li.warning").inner_text()
    assert f"start outside these hours on {DAY_SHORT}" in warning and "Grace Hopper 2p 00:45" in warning, (
        warning
    )
    page.locator("ul.messagelist").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "hours-late-service-removed.png"))
