"""A member of staff logs in, opens the review queue, seats a booking by hand and sees it confirmed; the day's
timeline is saved as a screenshot (artifacts/screenshots/timeline-focus.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from assignments.models import Booking, BookingState, BookingStateHistory, Hold, TableAllocation
from assignments.services.allocations import allocations_create
from tests.admin.conftest import VIEW_PERMS, confirmed_at, in_review
from tests.factories import DAY, TableFactory, at, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _floor_with_a_busy_evening(restaurant):
    terrace = restaurant.zones.get(key="terrace")
    main = restaurant.zones.get(key="main")
    TableFactory(zone=main, label="M4", max_covers=2)
    TableFactory(zone=terrace, label="T2", min_covers=2, max_covers=4)
    TableFactory(zone=terrace, label="T3", min_covers=2, max_covers=4, accessible=True)
    confirmed_at(restaurant, ["M1"], start="17:30")
    confirmed_at(restaurant, ["M1"], start="20:15")
    confirmed_at(restaurant, ["M2", "M3"], party_size=7, start="18:00")
    confirmed_at(restaurant, ["T1"], party_size=5, start="19:15")
    confirmed_at(restaurant, ["T2"], party_size=3, start="17:45")
    confirmed_at(restaurant, ["M4"], start="21:30")
    hold = Hold.objects.create(
        restaurant=restaurant,
        party_size=4,
        start_at=at("20:30"),
        end_at=at("22:15"),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    allocations_create(
        tables=[restaurant.tables.get(label="T3")], start_at=hold.start_at, end_at=hold.end_at, hold=hold
    )


def test_staff_assigns_a_booking_from_the_queue_and_sees_it_confirmed(
    live_server, browser_page, restaurant, artifacts_dir
):
    _floor_with_a_busy_evening(restaurant)
    booking = in_review(
        restaurant, party_size=4, start="20:00", guest_name="Ada Lovelace", reason="no table after 5 attempts"
    )
    other = in_review(
        restaurant, party_size=2, start="19:30", guest_name="Alan Turing", reason="preferred zone full"
    )
    user = grant(
        User.objects.create_user("maitre-d", password="s3cret-pass", is_staff=True), restaurant, role="host"
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="assignments", codename__in=[*VIEW_PERMS, "assign_booking"]
        )
    )
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/assignments/reviewbooking/")
    page.fill("#id_username", "maitre-d")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/assignments/reviewbooking/$"))
    assert "Review queue" in page.inner_text("#content h1")
    row = page.locator("#result_list tbody tr", has_text="Ada Lovelace")
    assert "a plan is free now" in row.locator(".maitre-reason").inner_text()

    row.locator("a.maitre-assign").click()
    page.wait_for_url(re.compile(rf"/reviewbooking/{booking.pk}/assign/$"))
    first_plan = page.locator("input[name=plan]").first
    assert first_plan.is_checked()
    chosen = first_plan.get_attribute("value").split(",")
    page.click("input[name=_assign]")

    page.wait_for_url(re.compile(r"/admin/assignments/reviewbooking/$"))
    assert f"confirmed at {', '.join(sorted(chosen))}" in page.inner_text("ul.messagelist")
    assert page.locator("#result_list tbody tr", has_text="Ada Lovelace").count() == 0
    page.goto(f"{live_server.url}/admin/assignments/booking/{booking.pk}/change/")
    assert page.locator("div.field-state_col .maitre-badge").inner_text() == "Confirmed"

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.CONFIRMED
    assert sorted(
        TableAllocation.objects.filter(booking=fresh).values_list("table__label", flat=True)
    ) == sorted(chosen)
    assert BookingStateHistory.objects.filter(booking=fresh).latest("version").actor == user

    page.goto(
        f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/"
        f"?date={DAY.isoformat()}&booking={other.pk}"
    )
    svg = page.locator("svg#maitre-timeline")
    svg.wait_for()
    assert svg.locator("g.maitre-booking").count() >= 8
    assert svg.locator("g.maitre-hold").count() == 1
    assert svg.locator(f"g.maitre-state-confirmed a[href$='/booking/{booking.pk}/change/']").count() == len(
        chosen
    )
    assert svg.locator("rect.maitre-free-row").count() >= 1
    shot = artifacts_dir / "timeline-focus.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
