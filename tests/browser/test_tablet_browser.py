"""The console on the host stand's tablet: a busy Friday (scenarios/sample-large.json, 60 tables, about 300
bookings) worked by touch on an iPad-like screen, landscape 1024x768 and portrait 768x1024 (no hover, so no
tooltips), and the same pages still right at the laptop's 1366x768 (artifacts/screenshots/tablet-*.png)."""

from __future__ import annotations

import re

import pytest
from django.db import connections

from assignments import coordinator
from assignments.models import Booking, BookingState, Table, TableAllocation
from assignments.scenario import load_scenario
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.scenarios import scenario_import
from tests.admin.conftest import in_review
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in_as_manager
from tests.factories import DAY, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = BookingState
FINGER = 40  # px: the smallest target a host's finger hits without a second try


@pytest.fixture
def friday(monkeypatch, settings):
    """sample-large moved to the test day and run through the pipeline at 19:30: about 120 parties on tables
    and the rest in review. Ada Lovelace (a confirmed 2 later tonight, with a table free over her window to move
    to) Grace Hopper (in review at 22:30, tables free) are the parties the host looks for; two parties due before 19:15
    have not come yet."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    for target in (
        "assignments.admin.common.console_now",
        "assignments.services.walk_ins.clock",
        "assignments.admin.timeline.walk_in_clock",
    ):
        monkeypatch.setattr(target, lambda: at("19:30"))
    settings.MAITRE = {**settings.MAITRE, "RESEAT": False}
    restaurant = scenario_import(
        scenario=load_scenario(settings.BASE_DIR / "scenarios" / "sample-large.json"), day=DAY
    )
    restaurant.max_assignment_attempts = 1
    restaurant.save(update_fields=["max_assignment_attempts"])
    bookings = list(Booking.objects.filter(restaurant=restaurant).order_by("arrival", "id"))
    for b in bookings:
        booking_submit_for_assignment(booking=b, trigger="creation", correlation_id=f"c{b.pk}")
    coordinator.assign_due(restaurant_id=restaurant.pk, service_date=bookings[0].service_date)

    ada, to = None, None
    taken = list(
        TableAllocation.objects.filter(restaurant=restaurant).values_list("table_id", "start_at", "end_at")
    )
    tables = list(Table.objects.filter(zone__restaurant=restaurant).order_by("label"))
    for b in Booking.objects.filter(restaurant=restaurant, state=S.CONFIRMED, start_at__gte=at("20:00")):
        if b.allocations.count() != 1:
            continue  # a party on one table
        alloc = b.allocations.get()
        to = next(
            (
                t.label
                for t in tables
                if t.pk != alloc.table_id
                and t.min_covers <= b.party_size <= t.max_covers
                and not any(i == t.pk and s < alloc.end_at and e > alloc.start_at for i, s, e in taken)
            ),
            None,
        )
        if to:
            ada = b
            break
    assert ada is not None, "no table to move a party to"
    Booking.objects.filter(pk=ada.pk).update(guest_name="Ada Lovelace", guest_phone="+447700900123")
    late, later = (
        Booking.objects.filter(
            restaurant=restaurant, state=S.CONFIRMED, start_at__lte=at("19:15"), end_at__gte=at("20:00")
        )
        .exclude(pk=ada.pk)
        .order_by("start_at", "pk")[:2]
    )
    grace = in_review(restaurant, start="22:30", party_size=2, guest_name="Grace Hopper")
    yield {
        "restaurant": restaurant,
        "ada": Booking.objects.get(pk=ada.pk),
        "to": to,
        "late": late,
        "later": later,
        "grace": grace,
    }
    connections.close_all()


@pytest.fixture
def chromium(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip(f"needs chromium at {CHROMIUM}")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def _page(browser, width: int, height: int, *, touch: bool):
    """A tablet held one way or the other (a finger, no hover), or the laptop (a mouse)."""
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch)
    page = context.new_page()
    page.route("**/api/availability/stream*", lambda route: route.abort())
    page.set_default_timeout(15_000)
    return page


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, locator
    return box


def _within(page, locator) -> bool:
    box, size = _box(locator), page.viewport_size
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and (box["y"] + box["height"] <= size["height"] + 0.5)
    )


def _timeline(live_server, restaurant) -> str:
    return f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={DAY.isoformat()}"


# Every link, button, field and disclosure a finger may aim at under `root`, drawn smaller than FINGER (a check box:
# 22 px, its label beside it takes the tap too); each as "what it is: its height".
_SMALL_TARGETS = """([root, finger]) => [...document.querySelectorAll(
    ['a', 'button', 'input', 'select', 'textarea', 'summary'].map(t => root + ' ' + t).join(', '))]
  .filter(e => e.type !== 'hidden' && e.getClientRects().length && e.getBoundingClientRect().height > 0)
  .map(e => [e, e.getBoundingClientRect().height, ['checkbox', 'radio'].includes(e.type) ? 22 : finger])
  .filter(([e, h, least]) => h < least - 0.5)
  .map(([e, h]) => e.tagName.toLowerCase() + ' ' + (e.name || e.textContent.trim().slice(0, 40)) + ': ' + Math.round(h))"""


def _small_targets(page, root: str, finger: int = FINGER) -> list[str]:
    return page.evaluate(_SMALL_TARGETS, [root, finger])


def _submit(page, locator, **kwargs) -> str:
    """Tap what posts a form, and read what the console says on the page it lands on."""
    with page.expect_navigation():
        locator.tap(**kwargs)
    return page.inner_text("ul.messagelist")


def test_in_landscape_a_host_works_the_timeline_with_a_finger(live_server, friday, chromium, artifacts_dir):
    restaurant, ada, to = friday["restaurant"], friday["ada"], friday["to"]
    late, later = friday["late"], friday["later"]
    page = _page(chromium, 1024, 768, touch=True)
    sign_in_as_manager(page, live_server, "/admin/")
    page.goto(_timeline(live_server, restaurant))
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-landscape.png"))

    # Rows a finger can hit, in a grid that ends at the bottom of the screen (one scroll, hours and names in view).
    assert _box(page.locator("g.maitre-state-confirmed rect").first)["height"] >= 34
    assert _within(page, page.locator("#maitre-scroll"))
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 768 + 1
    for control in ("a#maitre-zoom", "#maitre-walk-in summary", "#maitre-block summary", "input[value=Show]"):
        assert _box(page.locator(control))["height"] >= FINGER, control
    assert "tap a booking for its details" in page.inner_text(".maitre-legend")

    # A tap on Ada's bar writes out what its tooltip says, with buttons big enough to tap.
    bar = page.locator(f"g.maitre-bar[data-booking='{ada.pk}']")
    bar.scroll_into_view_if_needed()
    bar.locator("rect").first.tap()
    panel = page.locator("#maitre-pick")
    assert "Ada Lovelace" in panel.inner_text() and "tap anywhere on a table's row" in panel.inner_text()
    for button in ("Seat now", "open the booking", "cancel"):
        assert _box(panel.locator("button, a", has_text=button).first)["height"] >= FINGER, button
    assert _within(page, bar.locator("rect").first)  # the panel pushed the grid down, the bar stays in view
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-pick.png"))

    # Move her by tapping the table's name (the whole label cell, not the three letters of "M05"), then "Move to".
    head = page.locator(f"rect.maitre-row-head[data-table='{to}']")
    head.scroll_into_view_if_needed()
    assert _box(head)["height"] >= FINGER
    head.tap(position={"x": 110, "y": 20})
    assert f"moved to {to}" in _submit(page, page.locator("#maitre-offer button", has_text=f"Move to {to}"))
    assert list(TableAllocation.objects.filter(booking=ada).values_list("table__label", flat=True)) == [to]

    page.on("dialog", lambda dialog: dialog.accept())

    def act(booking, button: str) -> str:
        g = page.locator(f"g.maitre-bar[data-booking='{booking.pk}']")
        g.scroll_into_view_if_needed()
        g.locator("rect").first.tap()
        return _submit(page, page.locator("#maitre-pick button", has_text=button))

    assert "seated at" in act(late, "Seat now")
    assert "has left" in act(late, "Party left")
    assert "marked no-show" in act(later, "No-show")

    # A party that has left: a tap tells who and when (the tooltip's text), with its booking a tap away.
    page.locator(f"g.maitre-bar[data-booking='{late.pk}'] rect").first.tap()
    assert late.external_ref in panel.inner_text() and "Completed" in panel.inner_text()
    assert page.url.startswith(_timeline(live_server, restaurant))
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-info.png"))

    page.locator("#maitre-walk-in summary").tap()
    page.fill("#maitre-walk-in input[name=guest_name]", "At the door")
    assert _box(page.locator("#maitre-walk-in input[type=submit]"))["height"] >= FINGER
    assert "Walk-in of 2" in _submit(page, page.locator("#maitre-walk-in input[type=submit]"))

    page.locator("#maitre-block summary").tap()
    page.select_option("#maitre-block select[name=table]", to)
    page.fill("#maitre-block input[name=start]", "22:45")
    page.fill("#maitre-block input[name=end]", "23:30")
    page.fill("#maitre-block input[name=reason]", "broken chair")
    assert _box(page.locator("#maitre-block input[type=submit]"))["height"] >= FINGER
    # The form wraps under the controls: nothing goes off the side.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-block-form.png"))
    said = _submit(page, page.locator("#maitre-block input[type=submit]"))
    assert f"{to} blocked 22:45–23:30: broken chair" in said
    states = dict(Booking.objects.values_list("pk", "state"))
    assert (states[ada.pk], states[late.pk], states[later.pk]) == (S.CONFIRMED, S.COMPLETED, S.NO_SHOW)
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-after.png"))


def test_in_portrait_a_host_finds_a_party_and_seats_one_from_the_queue(
    live_server, friday, chromium, artifacts_dir
):
    restaurant, ada, grace = friday["restaurant"], friday["ada"], friday["grace"]
    page = _page(chromium, 768, 1024, touch=True)
    sign_in_as_manager(page, live_server, "/admin/")

    # Today: both buttons on screen, and a box to find a party by name or phone right there.
    today = page.locator("#maitre-tonight")
    panel = _box(today)
    for button in ("Timeline", "Review queue"):
        link = _box(today.locator("a.button", has_text=button))
        assert link["x"] + link["width"] <= panel["x"] + panel["width"] and link["height"] >= FINGER, button
    assert _box(page.locator("#maitre-find-q"))["height"] >= FINGER
    page.screenshot(path=str(artifacts_dir / "tablet-home-portrait.png"))
    page.locator("#maitre-find-q").tap()
    page.fill("#maitre-find-q", "900 123")
    page.locator("#maitre-find input[type=submit]").tap()
    page.wait_for_url(re.compile(r"/admin/assignments/booking/\?q="))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Ada Lovelace" in rows.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert _box(rows.locator("th.field-booking_ref a"))["height"] >= FINGER
    page.screenshot(path=str(artifacts_dir / "tablet-bookings-search.png"))
    rows.locator("th.field-booking_ref a").tap()
    page.wait_for_url(re.compile(rf"/booking/{ada.pk}/change/"))

    # The queue: Assign on screen and tappable, why a booking is here readable without a tooltip.
    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    page.screenshot(path=str(artifacts_dir / "tablet-queue-portrait.png"))
    page.fill("#searchbar", "Grace")  # 176 waiting: she is on the second page
    with page.expect_navigation():
        page.locator("#changelist-search input[type=submit]").tap()
    row = page.locator("#result_list tbody tr", has_text="Grace Hopper")
    row.scroll_into_view_if_needed()
    assign = row.locator("a.maitre-assign")
    assert _within(page, assign) and _box(assign)["height"] >= FINGER
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    first = page.locator("#result_list tbody tr.maitre-row td.field-reason").first
    assert first.evaluate("td => td.scrollWidth <= td.clientWidth")  # all of it shows, nothing cut off by "…"
    page.screenshot(path=str(artifacts_dir / "tablet-queue-search.png"))

    # Assign: a tap anywhere on a table's row ticks it, and Confirm is a big button in view.
    assign.tap()
    page.wait_for_url(re.compile(rf"/reviewbooking/{grace.pk}/assign/$"))
    free = page.locator("table.maitre-tables tr.maitre-free-row").first
    label = free.locator("input[name=tables]").get_attribute("value")
    assert _box(free)["height"] >= FINGER
    free.locator("td").nth(2).tap()  # the zone's cell
    assert free.locator("input[name=tables]").is_checked()
    assert page.locator("input[name=plan]:checked").count() == 0
    confirm = page.locator("input[name=_assign]")
    assert _within(page, confirm) and _box(confirm)["height"] >= FINGER
    page.screenshot(path=str(artifacts_dir / "tablet-assign-portrait.png"))
    with page.expect_navigation():
        confirm.tap()
    fresh = Booking.objects.get(pk=grace.pk)
    assert fresh.state == S.CONFIRMED
    assert list(fresh.allocations.values_list("table__label", flat=True)) == [label]

    page.goto(_timeline(live_server, restaurant))
    assert _within(page, page.locator("#maitre-scroll"))
    assert _box(page.locator("g.maitre-state-confirmed rect").first)["height"] >= 34
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-portrait.png"))


def test_at_1366_the_laptop_keeps_its_dense_timeline_and_one_line_queue(
    live_server, friday, chromium, artifacts_dir
):
    restaurant, ada, to = friday["restaurant"], friday["ada"], friday["to"]
    page = _page(chromium, 1366, 768, touch=False)
    sign_in_as_manager(page, live_server, "/admin/")
    today = page.locator("#maitre-tonight")
    box = _box(today)
    assert box["y"] + box["height"] <= 768 and today.locator("#maitre-find-q").count() == 1
    page.screenshot(path=str(artifacts_dir / "tablet-ref-home.png"))

    page.goto(f"{live_server.url}/admin/assignments/reviewbooking/")
    first = page.locator("#result_list tbody tr.maitre-row").first
    assert _box(first)["height"] < 50  # one compact line per booking (two with "started … ago")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert _box(page.locator("#changelist-filter"))["x"] > 1000  # the filters stay beside the list
    page.screenshot(path=str(artifacts_dir / "tablet-ref-queue.png"))

    # A booking and the bookings' filters keep Django's dense layout for a mouse.
    page.goto(f"{live_server.url}/admin/assignments/booking/{ada.pk}/change/")
    tools, subtitle = _box(page.locator("ul.object-tools")), _box(page.locator("#content > h2").first)
    assert (
        tools["height"] < 30 and tools["y"] < subtitle["y"] + subtitle["height"]
    )  # beside the booking's name
    assert _box(page.locator("#id_guest_name"))["height"] < 30
    page.screenshot(path=str(artifacts_dir / "tablet-ref-booking-change.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/assignments/booking/")
    assert _box(page.locator("#changelist-filter li a").first)["height"] <= 20
    assert _box(page.locator("#changelist-filter"))["x"] > 1000
    page.screenshot(path=str(artifacts_dir / "tablet-ref-bookings-filters.png"), full_page=True)

    page.goto(_timeline(live_server, restaurant))
    assert (
        _box(page.locator("g.maitre-state-confirmed rect").first)["height"] == 20
    )  # about 20 tables on screen
    assert _within(page, page.locator("#maitre-scroll"))
    assert "click a booking, then a table row" in page.inner_text(".maitre-legend")
    bar = page.locator(f"g.maitre-bar[data-booking='{ada.pk}']")
    bar.scroll_into_view_if_needed()
    bar.locator("rect").first.click()
    other = page.locator(f"g.maitre-pickable[data-table]:not([data-booking='{ada.pk}'])").first
    other.scroll_into_view_if_needed()
    other.locator("rect").first.click()  # a click on another booking picks it, as before: no offer to move
    assert (
        other.get_attribute("class").endswith("maitre-picked")
        and not page.locator("#maitre-offer").is_visible()
    )
    bar.scroll_into_view_if_needed()
    bar.locator("rect").first.click()
    assert "picked: click a table row to move it there" in page.inner_text("#maitre-pick")
    assert page.locator(".maitre-legend").is_visible()  # a laptop keeps the legend beside a pick
    assert _within(page, bar.locator("rect").first)
    page.screenshot(path=str(artifacts_dir / "tablet-ref-timeline-pick.png"))
    head = page.locator(f"rect.maitre-row-head[data-table='{to}']")  # the label cell takes a click too
    head.scroll_into_view_if_needed()
    with page.expect_navigation():
        head.click(position={"x": 110, "y": 13})
    assert f"moved to {to}" in page.inner_text("ul.messagelist")
    assert not page.locator("ul.messagelist .maitre-dismiss").is_visible()  # Django's message, as it was
    page.screenshot(path=str(artifacts_dir / "tablet-ref-timeline.png"))


def test_on_a_tablet_a_booking_and_the_list_filters_take_a_finger(
    live_server, friday, chromium, artifacts_dir
):
    ada, grace = friday["ada"], friday["grace"]
    page = _page(chromium, 1024, 768, touch=True)
    sign_in_as_manager(page, live_server, "/admin/")

    # A confirmed party and one in review: the tools above the form, the fields, the links in it (the restaurant, a
    # table, who took a table), the attempts' disclosures, Save: each a target a finger hits the first time.
    for booking, shot in ((ada, "tablet-booking-change.png"), (grace, "tablet-booking-change-review.png")):
        page.goto(f"{live_server.url}/admin/assignments/booking/{booking.pk}/change/")
        page.evaluate("document.querySelectorAll('#content details').forEach(d => { d.open = true; })")
        assert _small_targets(page, "#content") == [], booking.guest_name
        subtitle, tools = _box(page.locator("#content > h2").first), _box(page.locator("ul.object-tools"))
        assert tools["y"] >= subtitle["y"] + subtitle["height"] - 1  # under the booking's name, not over it
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
        page.screenshot(path=str(artifacts_dir / shot))

    # The filters (under the list below 1024 px): every choice, heading and "Show counts" a 40 px target.
    for url, shot in (
        ("/admin/assignments/booking/", "tablet-bookings-filters.png"),
        ("/admin/assignments/reviewbooking/", "tablet-queue-filters.png"),
    ):
        page.goto(live_server.url + url)
        filters = page.locator("#changelist-filter")
        assert filters.locator("li a").count() > 5
        assert _small_targets(page, "#changelist-filter") == [], url
        assert _small_targets(page, "#changelist .paginator") == [], url
        filters.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / shot))
    with page.expect_navigation():
        page.locator("#changelist-filter li a", has_text=re.compile(r"^Tonight$")).tap()
    assert page.url.endswith("?when=today")


# The first bar a host could pick on another table's row (not Ada's, not `to`'s) at her time: "busy" then.
_BUSY_BAR = """([ada, to]) => {
  const span = g => { const r = g.querySelector('rect'), x = +r.getAttribute('x'); return [x, x + +r.getAttribute('width')]; };
  const mine = document.querySelector(`g.maitre-bar[data-booking='${ada}']`), [a, b] = span(mine);
  const g = [...document.querySelectorAll('g.maitre-pickable[data-table]')].find(g => g.dataset.booking !== String(ada)
    && ![to, mine.dataset.table].includes(g.dataset.table) && span(g)[0] < b && span(g)[1] > a);
  return g.dataset.booking;
}"""


def test_in_landscape_a_host_moves_a_party_by_tapping_anywhere_on_its_new_row(
    live_server, friday, chromium, artifacts_dir
):
    restaurant, ada, to = friday["restaurant"], friday["ada"], friday["to"]
    page = _page(chromium, 1024, 768, touch=True)
    sign_in_as_manager(page, live_server, "/admin/")
    page.goto(_timeline(live_server, restaurant))
    assert "anywhere on a table's row" in page.inner_text(".maitre-legend")
    panel, offer = page.locator("#maitre-pick"), page.locator("#maitre-offer")
    mine = page.locator(f"g.maitre-bar[data-booking='{ada.pk}']")
    mine.scroll_into_view_if_needed()
    mine.locator("rect").first.tap()
    assert "Ada Lovelace" in panel.inner_text() and "tap anywhere on a table's row" in panel.inner_text()
    home = mine.get_attribute("data-table")

    # A tap on another party's bar at her time, on a busy Friday: did the host mean that table or that party? Both
    # are offered by the finger, the table said to be taken then; nothing has moved.
    busy = page.locator(f"g.maitre-bar[data-booking='{page.evaluate(_BUSY_BAR, [ada.pk, to])}']").first
    busy_table, busy_label = busy.get_attribute("data-table"), busy.get_attribute("data-label")
    busy.scroll_into_view_if_needed()
    busy.locator("rect").first.tap()
    assert offer.is_visible() and _within(page, offer)
    assert f"{busy_label} there then" in offer.inner_text()
    for button in (f"Move to {busy_table}", f"Pick {busy_label} instead", "×"):
        assert _box(offer.locator("button", has_text=button))["height"] >= FINGER, button
    assert "maitre-target" in page.locator(f"rect.maitre-row[data-table='{busy_table}']").get_attribute(
        "class"
    )
    assert "Ada Lovelace" in panel.inner_text() and page.url == _timeline(live_server, restaurant)
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-offer-busy.png"))

    # It was that party: picked in one more tap; and back to Ada the same way, from her own bar.
    offer.locator("button", has_text=f"Pick {busy_label} instead").tap()
    assert busy_label.split(" · ")[0] in panel.inner_text() and "maitre-picked" in busy.get_attribute("class")
    assert not offer.is_visible()
    mine.scroll_into_view_if_needed()
    mine.locator("rect").first.tap()
    assert f"Move to {home}" in offer.inner_text()
    offer.locator("button", has_text=re.compile(r"^Pick .* instead$")).tap()
    assert "Ada Lovelace" in panel.inner_text()

    # An empty stretch of the new table's row, at her time: "free then", and one tap on "Move to" moves her.
    row = page.locator(f"rect.maitre-row[data-table='{to}']")
    row.scroll_into_view_if_needed()
    x = _box(mine.locator("rect").first)["x"] - _box(row)["x"] + 12
    row.tap(position={"x": x, "y": 20})
    assert "free then" in offer.inner_text() and _within(page, offer)
    assert page.url == _timeline(live_server, restaurant)
    assert list(TableAllocation.objects.filter(booking=ada).values_list("table__label", flat=True)) == [home]
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-offer-free.png"))
    offer.locator("button", has_text="×").tap()  # changed her mind: the offer goes, Ada stays picked
    assert not offer.is_visible() and "Ada Lovelace" in panel.inner_text()
    row.tap(position={"x": x, "y": 20})
    assert f"moved to {to}" in _submit(page, offer.locator("button", has_text=f"Move to {to}"))
    assert list(TableAllocation.objects.filter(booking=ada).values_list("table__label", flat=True)) == [to]


def _rows_in_view(page) -> float:
    """How many table rows the grid's box shows under its sticky hours (its visible height over a row's)."""
    return page.evaluate("""() => {
      const box = document.getElementById('maitre-scroll').getBoundingClientRect();
      const top = document.querySelector('.maitre-head').getBoundingClientRect().bottom;
      const row = document.querySelector('rect.maitre-row-head').getBoundingClientRect().height;
      return (Math.min(box.bottom, window.innerHeight) - top) / row;
    }""")


def test_in_landscape_a_message_and_a_picked_party_leave_ten_tables_in_view(
    live_server, friday, chromium, artifacts_dir
):
    restaurant, ada, to = friday["restaurant"], friday["ada"], friday["to"]
    page = _page(chromium, 1024, 768, touch=True)
    sign_in_as_manager(page, live_server, "/admin/")
    page.goto(_timeline(live_server, restaurant))
    mine = page.locator(f"g.maitre-bar[data-booking='{ada.pk}']")

    def pick_ada():
        mine.scroll_into_view_if_needed()
        mine.locator("rect").first.tap()

    pick_ada()
    head = page.locator(f"rect.maitre-row-head[data-table='{to}']")
    head.scroll_into_view_if_needed()
    head.tap(position={"x": 110, "y": 20})
    assert f"moved to {to}" in _submit(page, page.locator("#maitre-offer button", has_text=f"Move to {to}"))

    # What the console said, and Ada picked again to seat her: ten tables still in view, and all the host needs of
    # her (who, covers, times, what to do next, the buttons) on screen.
    pick_ada()
    panel, message = page.locator("#maitre-pick"), page.locator("ul.messagelist li")
    assert message.is_visible() and f"moved to {to}" in message.inner_text()
    assert _rows_in_view(page) >= 10.5, _rows_in_view(page)  # ten tables and a zone's heading
    assert _box(panel)["height"] <= 56
    said = panel.inner_text()
    assert "Ada Lovelace · 2 covers · 21:00" in said or "Ada Lovelace" in said and "covers" in said
    assert "tap anywhere on a table's row" in said
    for button in ("Seat now", "open the booking", "cancel"):
        control = panel.locator("button, a", has_text=button).first
        assert _within(page, control) and _box(control)["height"] >= FINGER, button
    assert _within(page, mine.locator("rect").first)
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-pick-message.png"))

    # A tap on × clears the message and the grid takes its room; cancel brings the legend back.
    scroller = page.locator("#maitre-scroll")
    before, rows = _box(scroller)["height"], _rows_in_view(page)
    dismiss = message.locator("button.maitre-dismiss")
    assert _box(dismiss)["height"] >= FINGER and _box(dismiss)["width"] >= FINGER
    dismiss.tap()
    assert page.locator("ul.messagelist").count() == 0
    assert _box(scroller)["height"] > before and _rows_in_view(page) >= rows
    assert "Ada Lovelace" in panel.inner_text()
    panel.locator("a", has_text="cancel").tap()
    assert not panel.is_visible() and page.locator(".maitre-legend").is_visible()
    assert _rows_in_view(page) >= 10.5
    page.screenshot(path=str(artifacts_dir / "tablet-timeline-dismissed.png"))
