"""The evening on the timeline at 1366x768, as a host works it: seat a party that arrived, say another left, mark
a no-show (each asking first where it cannot be undone), seat a walk-in, and see the bars change colour and
label. Screenshots go to artifacts/screenshots/ (service-before.png, service-after.png)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User

from assignments import lifecycle
from assignments.models import Booking, BookingState
from tests.admin.conftest import VIEW_PERMS, confirmed_at
from tests.factories import DAY, at, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = BookingState


@pytest.fixture
def evening(monkeypatch):
    for target in (
        "assignments.admin.common.console_now",
        "assignments.services.walk_ins.clock",
        "assignments.admin.timeline.walk_in_clock",
    ):
        monkeypatch.setattr(target, lambda: at("19:20"))


def test_a_host_seats_completes_marks_a_no_show_and_seats_a_walk_in_from_the_timeline(
    live_server, browser_page, restaurant, artifacts_dir, evening
):
    arrived = confirmed_at(restaurant, ["M1"], start="19:00")
    gone = confirmed_at(restaurant, ["T1"], party_size=4, start="18:30")
    leaving = confirmed_at(restaurant, ["M2"], party_size=3, start="18:00")
    later = confirmed_at(restaurant, ["T1"], party_size=2, start="21:30")
    lifecycle.booking_mark_seated(booking=leaving, now=at("18:02"))
    user = User.objects.create_user("host", password="friday-night", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="assignments", codename__in=VIEW_PERMS)
    )
    grant(user, restaurant, role="host")  # a host: no assign permission, the service actions by role
    page = browser_page
    timeline = (
        f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={DAY.isoformat()}"
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "host")
    page.fill("#id_password", "friday-night")
    page.click("input[type=submit]")
    page.goto(timeline)
    page.screenshot(path=str(artifacts_dir / "service-before.png"))
    asked: list[str] = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    def act(booking, button: str):
        page.locator(f'g.maitre-bar[data-booking="{booking.pk}"]').first.click()
        page.locator("#maitre-pick button", has_text=button).click()
        page.wait_for_load_state("load")
        return page.inner_text("ul.messagelist")

    page.locator(f'g.maitre-bar[data-booking="{gone.pk}"]').first.click()
    assert page.locator("#maitre-pick button", has_text="No-show").is_visible()
    page.screenshot(path=str(artifacts_dir / "service-pick.png"))
    page.keyboard.press("Escape")
    page.locator(f'g.maitre-bar[data-booking="{later.pk}"]').first.click()  # not started: no no-show yet
    assert page.locator("#maitre-pick button", has_text="Seat now").is_visible()
    assert page.locator("#maitre-pick button", has_text="No-show").count() == 0
    page.keyboard.press("Escape")
    said = act(arrived, "Seat now")
    assert "seated at M1, 20 min late" in said
    assert page.locator(f'g.maitre-bar.maitre-state-seated[data-booking="{arrived.pk}"]').count() == 1
    said = act(leaving, "Party left")
    assert "has left; M2 free from 19:30" in said and "has left?" in asked[-1]
    said = act(gone, "No-show")
    assert "marked no-show; T1 free from now" in said and "no-show?" in asked[-1]

    page.click("#maitre-walk-in summary")
    page.fill("#maitre-walk-in input[name=party_size]", "2")
    page.fill("#maitre-walk-in input[name=guest_name]", "At the door")
    page.click("#maitre-walk-in input[type=submit]")
    page.wait_for_load_state("load")
    assert re.search(r"Walk-in of 2 seated at \S+ until 20:50", page.inner_text("ul.messagelist"))

    page.goto(timeline)
    page.locator("#maitre-now").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "service-after.png"))
    states = dict(Booking.objects.values_list("pk", "state"))
    assert (states[arrived.pk], states[leaving.pk], states[gone.pk]) == (S.SEATED, S.COMPLETED, S.NO_SHOW)
    walk_in = Booking.objects.get(guest_name="At the door")
    assert walk_in.state == S.SEATED
    for state in (S.SEATED, S.COMPLETED, S.NO_SHOW):
        bar = page.locator(f"g.maitre-bar.maitre-state-{state} rect").first
        assert bar.is_visible()
    legend = page.inner_text(".maitre-legend")
    assert "Seated" in legend and "Completed" in legend and "No-show" in legend
