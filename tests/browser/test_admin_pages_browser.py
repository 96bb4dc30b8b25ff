"""The four console pages a host lives in (queue, a booking, a restaurant, its timeline) open at 1366x768 with
their working parts on screen; screenshots go to artifacts/screenshots/pages-*.png, to compare before and after a
change of the admin's code."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from tests.admin.conftest import confirmed_at, in_review
from tests.factories import DAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_booking_restaurant_and_timeline_pages_open_with_their_tools(
    live_server, browser_page, restaurant, artifacts_dir
):
    seated = confirmed_at(restaurant, ["M1"], party_size=2, start="19:00")
    waiting = in_review(restaurant, party_size=4, start="20:00", guest_name="Ada Lovelace")
    User.objects.create_superuser("owner", password="owner-pw", email="owner@example.com")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "owner-pw")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    assert page.locator(f"tr[data-booking='{waiting.pk}'] a.maitre-assign").is_visible()
    page.screenshot(path=str(artifacts_dir / "pages-queue.png"))

    page.goto(f"{live_server.url}/admin/assignments/booking/{waiting.pk}/change/")
    assert page.locator("#maitre-why").is_visible()
    assert page.locator("#id_guest_name").input_value() == "Ada Lovelace"
    tools = page.inner_text(".object-tools").lower()
    assert all(word in tools for word in ("assign manually", "retry", "cancel booking")), tools
    page.screenshot(path=str(artifacts_dir / "pages-booking-review.png"))

    page.goto(f"{live_server.url}/admin/assignments/booking/{seated.pk}/change/")
    assert "M1" in page.inner_text("#content")
    tools = page.inner_text(".object-tools").lower()  # confirmed: only a cancel is offered
    assert "cancel booking" in tools and "assign manually" not in tools and "retry" not in tools, tools
    page.screenshot(path=str(artifacts_dir / "pages-booking-confirmed.png"))

    page.goto(f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/change/")
    assert page.locator("#id_name").input_value() == restaurant.name
    page.screenshot(path=str(artifacts_dir / "pages-restaurant.png"))

    page.goto(
        f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={DAY.isoformat()}"
    )
    assert page.locator(f"g.maitre-state-confirmed[data-booking='{seated.pk}']").count() >= 1
    assert page.locator(f"g.maitre-waiting[data-booking='{waiting.pk}']").count() == 1
    page.screenshot(path=str(artifacts_dir / "pages-timeline.png"))
