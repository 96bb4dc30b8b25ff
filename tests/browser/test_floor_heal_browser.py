"""A host cancels a booking from its page; the party of six waiting in review is seated on the freed table
automatically, and the review queue and the booking's page say so. Screenshots: artifacts/screenshots/
floor-healed-queue.png and floor-healed-booking.png (1366x768)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState
from tests.admin.conftest import VIEW_PERMS
from tests.factories import DAY, grant
from tests.heal.helpers import seated, tables_of, waiting_in_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cancellation_in_the_admin_seats_the_review_booking_and_the_queue_shows_it(
    live_server, browser_page, restaurant, artifacts_dir, settings
):
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 0}
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    Booking.objects.filter(pk=five.pk).update(guest_name="Grace Hopper")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")
    Booking.objects.filter(pk=six.pk).update(guest_name="Ada Lovelace")
    still = waiting_in_review(restaurant, party_size=8, start="19:45")
    Booking.objects.filter(pk=still.pk).update(guest_name="Alan Turing")
    user = grant(
        User.objects.create_user("host", password="s3cret-pass", is_staff=True), restaurant, role="host"
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="assignments", codename__in=[*VIEW_PERMS, "assign_booking"]
        )
    )
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/assignments/booking/{five.pk}/change/")
    page.fill("#id_username", "host")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")

    page.click("text=Cancel booking…")
    page.fill("textarea[name=reason], input[name=reason]", "guest called: ill")
    page.click("input[type=submit][value='Yes, cancel']")
    page.wait_for_selector("ul.messagelist")
    assert Booking.objects.get(pk=six.pk).state == BookingState.ASSIGNMENT_PENDING  # offered on commit
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)  # the worker's pass
    assert Booking.objects.get(pk=six.pk).state == BookingState.CONFIRMED and tables_of(six) == ["T1"]
    assert Booking.objects.get(pk=still.pk).state == BookingState.MANUAL_REVIEW

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    panel = page.locator("#maitre-healed-recent")
    assert "1 seated automatically after tables freed up" in panel.locator("summary").inner_text()
    assert re.search(
        rf"#{six.pk} Ada Lovelace · 6p 19:30 at T1 — seated automatically after tables freed up at \d\d:\d\d "
        rf"\(cancellation of #{five.pk}\)",
        panel.inner_text(),
    )
    assert page.locator("#result_list tbody tr", has_text="Alan Turing").count() == 1
    shots = [artifacts_dir / "floor-healed-queue.png", artifacts_dir / "floor-healed-booking.png"]
    page.screenshot(path=str(shots[0]))

    panel.locator(f"a[href$='/booking/{six.pk}/change/']").click()
    page.wait_for_selector("#maitre-healed")
    assert (
        page.locator("#maitre-healed")
        .inner_text()
        .startswith("Seated automatically after tables freed up at ")
    )
    assert page.locator("strong.maitre-healed").count() == 1
    page.screenshot(path=str(shots[1]), full_page=True)
    assert all(s.stat().st_size > 10_000 for s in shots)
