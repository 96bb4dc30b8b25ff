"""The ops console on a 1366x768 laptop, as a host works it on a Friday night: the queue of tonight's bookings of
the one restaurant they may see, a booking's reason on the first screen, the one-click fixes (another time, a
re-seat), and the timeline as a working surface (move, block, a refused clash). Screenshots of the queue, a
booking, the assign view and the timeline go to artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User

from assignments.context import assignment_context, engine_for
from assignments.models import Booking, BookingState, TableAllocation, TableBlock
from tests.admin.conftest import VIEW_PERMS, confirmed_at, in_review
from tests.factories import DAY, DAY_SHORT, FloorFactory, TableFactory, at, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/admin/assignments/reviewbooking/"


def _host(page, live_server, restaurant) -> User:
    """A host of one restaurant (a tenancy membership), who may assign, logged in on the queue."""
    user = User.objects.create_user("host", password="friday-night", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="assignments", codename__in=[*VIEW_PERMS, "assign_booking"]
        )
    )
    grant(user, restaurant, role="host")
    page.goto(f"{live_server.url}/admin/login/?next={QUEUE}")
    page.fill("#id_username", "host")
    page.fill("#id_password", "friday-night")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/assignments/reviewbooking/$"))
    return user


def _full_four_tops(restaurant) -> Booking:
    """M2, M3 and T1 taken at 19:00; a 2p sits on M2 though M1 would do. Returns that 2p."""
    small = confirmed_at(restaurant, ["M2"], party_size=2, start="19:00")
    confirmed_at(restaurant, ["M3"], party_size=4, start="19:00")
    confirmed_at(restaurant, ["T1"], party_size=4, start="19:00")
    return small


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


@pytest.mark.embedded
def test_tonight_s_queue_fits_a_laptop_and_a_nearest_time_fix_seats_the_booking(
    live_server, browser_page, restaurant, artifacts_dir
):
    _full_four_tops(restaurant)
    stuck = in_review(restaurant, party_size=4, start="19:00", guest_name="Grace Hopper")
    tonight = [stuck] + [
        in_review(
            restaurant, party_size=2, start=f"{17 + i // 4}:{(i % 4) * 15:02d}", guest_name=f"Guest {i}"
        )
        for i in range(14)
    ]
    elsewhere = in_review(FloorFactory.small(), party_size=2, start="19:00", guest_name="Other Place")
    last_january = in_review(restaurant, party_size=2, start="19:00", guest_name="Long Gone")
    Booking.objects.filter(pk=last_january.pk).update(
        start_at=at("19:00") - timedelta(days=315), end_at=at("20:30") - timedelta(days=315)
    )
    page = browser_page
    _host(page, live_server, restaurant)

    rows = page.locator("#result_list tbody tr.maitre-row")
    shown = {int(rows.nth(i).get_attribute("data-booking")) for i in range(rows.count())}
    assert shown == {b.pk for b in tonight}
    assert elsewhere.pk not in shown and last_january.pk not in shown
    above = [rows.nth(i) for i in range(rows.count()) if _in_viewport(page, rows.nth(i))]
    assert len(above) >= 12, f"only {len(above)} bookings above the fold"
    for row in above:
        for action in ("a.maitre-assign", "a.maitre-timeline"):
            assert _in_viewport(page, row.locator(action)), row.inner_text()
    assert f"{DAY_SHORT} · dinner: 15 waiting" in page.inner_text("#maitre-service-counts")
    page.screenshot(path=str(artifacts_dir / "queue.png"))

    page.locator(f"tr[data-booking='{stuck.pk}'] a.maitre-ref").click()
    page.wait_for_url(re.compile(rf"/booking/{stuck.pk}/change/$"))
    why = page.locator("#maitre-why")
    assert "every 4-top and 6-top is taken 19:00-" in why.inner_text()
    assert _in_viewport(page, why)
    assert "19:00" in page.title() and "18:" not in page.title()
    page.screenshot(path=str(artifacts_dir / "booking.png"))

    why.locator("a.maitre-fix").click()
    page.wait_for_url(re.compile(rf"/booking/{stuck.pk}/assign/$"))
    first = page.locator("#maitre-nearest button.maitre-time").first
    label = first.inner_text()
    assert re.fullmatch(r"\d\d:\d\d fits on [A-Z0-9+]+", label), label
    page.screenshot(path=str(artifacts_dir / "assign.png"))
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    first.click()  # another time needs the guest's word: asked first
    page.wait_for_url(re.compile(r"/admin/assignments/reviewbooking/$"))
    assert asked and "Has the guest agreed" in asked[0] and label in asked[0]
    new_time, tables = label.split(" fits on ")
    assert f"and confirmed at {tables.replace('+', ', ')}" in page.inner_text("ul.messagelist")
    seated = Booking.objects.get(pk=stuck.pk)
    assert seated.state == BookingState.CONFIRMED
    assert f"{seated.start_at.astimezone(restaurant.tzinfo):%H:%M}" == new_time
    assert page.locator(f"tr[data-booking='{stuck.pk}']").count() == 0


def test_a_re_seat_proposal_is_shown_as_its_moves_and_applied(
    live_server, browser_page, restaurant, artifacts_dir
):
    small = _full_four_tops(restaurant)
    booking = in_review(restaurant, party_size=4, start="19:00", guest_name="Ada")
    page = browser_page
    user = _host(page, live_server, restaurant)

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/{booking.pk}/assign/")
    page.click("#maitre-find-reseat")
    proposal = page.locator("#maitre-reseat")
    assert f"move #{small.pk} from M2 to M1, then seat here at M2" in proposal.inner_text()
    page.screenshot(path=str(artifacts_dir / "reseat.png"))
    proposal.locator("input[name=_reseat]").click()
    page.wait_for_url(re.compile(r"/admin/assignments/reviewbooking/$"))
    assert "confirmed at M2 after moving 1 other booking(s)" in page.inner_text("ul.messagelist")
    assert list(TableAllocation.objects.filter(booking=small).values_list("table__label", flat=True)) == [
        "M1"
    ]
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.CONFIRMED
    assert fresh.history.latest("version").actor == user


def test_the_timeline_moves_a_confirmed_booking_blocks_a_table_and_names_a_clash(
    live_server, browser_page, restaurant, artifacts_dir
):
    terrace = restaurant.zones.get(key="terrace")
    TableFactory(zone=terrace, label="T2", min_covers=2, max_covers=4)
    moving = confirmed_at(restaurant, ["M1"], party_size=2, start="19:00")
    other = confirmed_at(restaurant, ["M3"], party_size=3, start="19:30")
    waiting = in_review(restaurant, party_size=4, start="20:00", guest_name="Waits")
    page = browser_page
    _host(page, live_server, restaurant)
    timeline = (
        f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={DAY.isoformat()}"
    )

    # Move: pick the confirmed booking's bar, then the M2 row.
    page.goto(timeline)
    page.locator(f"g.maitre-state-confirmed[data-booking='{moving.pk}']").first.click()
    assert "picked: click a table row to move it there" in page.inner_text("#maitre-pick")
    page.locator("text.maitre-row-label[data-table='M2']").click()
    page.wait_for_load_state()
    assert "moved to M2" in page.inner_text("ul.messagelist")
    assert list(TableAllocation.objects.filter(booking=moving).values_list("table__label", flat=True)) == [
        "M2"
    ]

    # A clash: the same booking onto M3, which another booking holds at 19:30.
    page.locator(f"g.maitre-state-confirmed[data-booking='{moving.pk}']").first.click()
    page.locator("text.maitre-row-label[data-table='M3']").click()
    page.wait_for_load_state()
    error = page.locator("ul.messagelist li.error")
    assert f"Not moved: M3 is taken by #{other.pk} (3p 19:30-" in error.inner_text()
    assert error.locator(f"a[href$='/booking/{other.pk}/change/']").count() == 1
    assert list(TableAllocation.objects.filter(booking=moving).values_list("table__label", flat=True)) == [
        "M2"
    ]

    # Block T2 for the evening; the engine then leaves it alone.
    ctx = assignment_context(booking_id=waiting.pk)
    before = engine_for(restaurant=restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).plans
    assert any("T2" in p.tables for p in before)
    page.click("#maitre-block summary")
    page.select_option("#maitre-block select[name=table]", "T2")
    page.fill("#maitre-block input[name=start]", "18:00")
    page.fill("#maitre-block input[name=end]", "23:00")
    page.fill("#maitre-block input[name=reason]", "private event")
    page.click("#maitre-block input[type=submit]")
    page.wait_for_load_state()
    assert "T2 blocked 18:00–23:00: private event" in page.inner_text("ul.messagelist")
    assert page.locator("g.maitre-block").count() == 1
    assert TableBlock.objects.get().reason == "private event"
    ctx = assignment_context(booking_id=waiting.pk)
    after = engine_for(restaurant=restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).plans
    assert after and all("T2" not in p.tables for p in after)
    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/{waiting.pk}/assign/")
    assert "T2 is blocked (private event 18:00-23:00)" in page.inner_text("table.maitre-tables")
    assert page.locator("input[name=plan][value*='T2']").count() == 0

    page.goto(timeline + f"&booking={waiting.pk}")
    assert page.locator(f"g.maitre-waiting[data-booking='{waiting.pk}']").count() == 1
    page.screenshot(path=str(artifacts_dir / "timeline.png"))
