"""What a host sees mid-service at 1366x768 on a floor of 40 tables: the queue marks the bookings whose time has
begun, the assign page keeps its Confirm button in view with the free tables on top, and someone who may only look
gets no Assign button and, on a bookmarked assign link, a page saying why; a guest is found by part of their phone
number and their booking page shows party, time, tables and phone above the fold
(artifacts/screenshots/host-*.png)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User

from assignments.models import Booking
from tests.admin.conftest import VIEW_PERMS, confirmed_at, in_review
from tests.factories import TableFactory, at, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, name: str, then: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={then}")
    page.fill("#id_username", name)
    page.fill("#id_password", "friday-night")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(then) + "$"))


def test_mid_service_the_queue_the_assign_page_and_a_refusal_read_at_a_glance(
    live_server, browser_page, restaurant, artifacts_dir, monkeypatch
):
    main = restaurant.zones.get(key="main")
    for i in range(4, 40):
        TableFactory(zone=main, label=f"M{i}", max_covers=2 if i % 2 else 4)
    for i in range(4, 30):
        confirmed_at(restaurant, [f"M{i}"], start="19:00")
    begun = in_review(
        restaurant, start="18:15", party_size=4, guest_name="Grace Hopper", reason="no table after 5 attempts"
    )
    in_review(restaurant, start="21:00", guest_name="Edsger Dijkstra", reason="preferred zone full")
    monkeypatch.setattr("assignments.admin.common.console_now", lambda: at("19:40"))
    perms = Permission.objects.filter(content_type__app_label="assignments")
    boss = User.objects.create_user("boss", password="friday-night", is_staff=True)
    boss.user_permissions.set(perms.filter(codename__in=[*VIEW_PERMS, "assign_booking", "change_booking"]))
    grant(boss, restaurant, role="manager")
    looker = User.objects.create_user("looker", password="friday-night", is_staff=True)
    looker.user_permissions.set(perms.filter(codename__in=VIEW_PERMS))
    grant(looker, restaurant, role="host")
    page = browser_page

    _login(page, live_server, "boss", "/admin/")
    today = page.locator("#maitre-tonight")
    assert "2 waiting for a table" in today.inner_text() and "26 confirmed" in today.inner_text()
    box = today.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768
    page.screenshot(path=str(artifacts_dir / "host-home-today.png"))
    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    row = page.locator("#result_list tbody tr", has_text="Grace Hopper")
    assert row.locator(".maitre-started").inner_text() == "started 1 h 25 ago"
    later = page.locator("#result_list tbody tr", has_text="Edsger Dijkstra")
    assert later.locator(".maitre-started").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scrolling
    page.screenshot(path=str(artifacts_dir / "host-queue-started.png"))

    row.locator("a.maitre-assign").click()
    page.wait_for_url(re.compile(rf"/reviewbooking/{begun.pk}/assign/$"))
    confirm = page.locator("input[name=_assign]")
    box = confirm.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768  # in view without scrolling to the 40th table
    assert (
        page.locator("input[name=tables]").first.get_attribute("value") == "M1"
    )  # a free table heads the list
    assert page.locator("#table-M4").is_disabled()
    page.screenshot(path=str(artifacts_dir / "host-assign-sticky.png"))

    seated = Booking.objects.filter(state="confirmed").order_by("pk").first()
    Booking.objects.filter(pk=seated.pk).update(guest_name="Ada Lovelace", guest_phone="+447700900123")
    page.goto(f"{live_server.url}/admin/assignments/booking/?q=7700+900")  # a host types part of the number
    assert page.locator("#result_list tbody tr").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(artifacts_dir / "host-bookings-phone-search.png"))
    page.locator("#result_list tbody tr a").first.click()
    for label in ("Party size", "Time", "Tables", "Guest phone"):
        row = page.locator(".form-row", has_text=label).first
        box = row.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, label  # above the fold
    assert page.locator("#id_guest_phone").input_value() == "+44 7700 900123"
    page.screenshot(path=str(artifacts_dir / "host-booking-page.png"))

    page.context.clear_cookies()
    _login(page, live_server, "looker", "/admin/assignments/reviewbooking/")
    assert page.locator("a.maitre-assign").count() == 0 and page.locator("a.maitre-timeline").count() == 2
    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/{begun.pk}/assign/")
    assert "needs the 'assign bookings' permission" in page.inner_text("main")
    page.screenshot(path=str(artifacts_dir / "host-refused.png"))
