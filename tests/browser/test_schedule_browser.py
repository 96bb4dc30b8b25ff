"""A restaurant's weekly schedule and exceptions on a 1366x768 laptop: the inlines readable and editable, a row
added and saved from the browser; the timeline of a closed day; the assign page saying pacing holds a booking
back and that assigning by hand overrides it. Screenshots go to artifacts/screenshots/schedule-*.png."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from assignments.models import ScheduleException, WeeklyService
from assignments.selectors.schedule import restaurant_day_schedule
from tests.admin.conftest import confirmed_at, in_review
from tests.browser.conftest import sign_in_as_manager
from tests.factories import DAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_adds_a_weekday_service_in_the_browser(
    live_server, browser_page, restaurant, artifacts_dir
):
    WeeklyService.objects.create(restaurant=restaurant, weekday=0, closed=True)
    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=4,
        name="dinner",
        start=time(18),
        end=time(1),
        last_seating=time(23),
        turn_minutes={"2": 80, "default": 120},
        pacing_covers_per_slot=24,
    )
    ScheduleException.objects.create(
        restaurant=restaurant, date=DAY + timedelta(days=20), closed=True, note="Christmas Day"
    )
    page = browser_page
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)
    page.wait_for_url(re.compile(r"/change/$"))
    weekly = page.locator("#weeklyservices-group")
    weekly.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "schedule-restaurant-inlines.png"))
    page.screenshot(path=str(artifacts_dir / "schedule-restaurant-full.png"), full_page=True)
    # every column of both tables fits the laptop's width, the sidebar open
    for group in ("#weeklyservices-group", "#scheduleexceptions-group"):
        box = page.locator(f"{group} table").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366, (group, box)

    weekly.locator(".add-row a").click()
    row = weekly.locator("tr.form-row.dynamic-weeklyservices").last
    row.locator("select[name$='-weekday']").select_option("5")
    row.locator("input[name$='-name']").fill("lunch")
    row.locator("input[name$='-start']").fill("12:00")
    row.locator("input[name$='-end']").fill("15:00")
    row.locator("input[name$='-turn_minutes']").fill('{"2": 60, "default": 90}')
    row.locator("input[name$='-pacing_covers_per_slot']").fill("12")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/$"))
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    restaurant.refresh_from_db()
    (lunch,) = restaurant_day_schedule(restaurant=restaurant, day=DAY).services
    assert (lunch.name, lunch.start, lunch.end, lunch.turn_for(2), lunch.pacing.covers_per_slot) == (
        "lunch",
        720,
        900,
        60,
        12,
    )
    page.locator("#weeklyservices-group").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "schedule-restaurant-saved.png"))


def test_a_closed_day_on_the_timeline_and_pacing_on_the_assign_page(
    live_server, browser_page, restaurant, artifacts_dir
):
    ScheduleException.objects.create(
        restaurant=restaurant, date=DAY + timedelta(days=1), closed=True, note="private wedding"
    )
    restaurant.pacing_covers_per_slot = 4
    restaurant.save()
    confirmed_at(restaurant, ["M2"], party_size=4, start="19:00")
    paced = in_review(
        restaurant,
        party_size=2,
        start="19:00",
        guest_name="Grace",
        reason="pacing: 19:00 already has 4 of 4 covers starting",
    )
    page = browser_page
    timeline = f"/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={(DAY + timedelta(days=1)).isoformat()}"
    sign_in_as_manager(page, live_server, timeline)
    banner = page.locator("#maitre-schedule")
    assert banner.inner_text() == f"Closed on {DAY + timedelta(days=1):%a %d %b %Y} (private wedding)"
    page.screenshot(path=str(artifacts_dir / "schedule-timeline-closed.png"))
    page.goto(
        f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={DAY.isoformat()}"
    )
    assert "Hours: dinner 17:00-23:30 (pacing 4 covers/slot)" in page.inner_text("#maitre-schedule")
    page.screenshot(path=str(artifacts_dir / "schedule-timeline-open.png"))

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/{paced.pk}/assign/")
    note = page.locator("#maitre-pacing")
    assert "19:00 already has 4 of 4 covers starting" in note.inner_text()
    assert "Assigning by hand overrides pacing" in note.inner_text()
    page.screenshot(path=str(artifacts_dir / "schedule-assign-paced.png"))
    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    assert "pacing: 19:00 already has 4 of 4 covers starting" in page.inner_text("#result_list")
    page.screenshot(path=str(artifacts_dir / "schedule-queue-paced.png"))
