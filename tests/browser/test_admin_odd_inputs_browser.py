"""The admin's refusals of odd input as a host reads them, at 1366x768 (tests/admin/test_admin_odd_inputs.py
checks each one; these look at the page). Screenshots in artifacts/screenshots: timeline-date-out-of-range.png,
timeline-block-dst-gap.png, restaurant-service-periods-error.png, adjacency-missing-table.png,
webhook-event-types-error.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in_as_manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_says_what_was_wrong_with_odd_input(live_server, browser_page, restaurant, artifacts_dir):
    page = browser_page
    timeline = f"/admin/assignments/restaurant/{restaurant.pk}/timeline/"
    sign_in_as_manager(page, live_server, timeline)

    page.goto(f"{live_server.url}{timeline}?date=9999-12-31")
    page.screenshot(path=str(artifacts_dir / "timeline-date-out-of-range.png"))
    assert "Dates look like 2026-12-05, from 1900 to 9998; showing today." in page.inner_text(".messagelist")

    page.evaluate(
        """([url]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = url;
            const fields = {csrfmiddlewaretoken: document.querySelector("[name=csrfmiddlewaretoken]").value,
                            date: "2027-03-28", start: "01:30", end: "02:30", table: "M1", reason: "wiring"};
            for (const [k, v] of Object.entries(fields)) {
                const input = document.createElement("input"); input.name = k; input.value = v; form.append(input);
            }
            document.body.append(form); form.submit();
        }""",
        [f"{timeline}block/"],
    )
    page.wait_for_selector(".messagelist")
    page.screenshot(path=str(artifacts_dir / "timeline-block-dst-gap.png"))
    assert "01:30 does not exist on 28 March 2027 in Europe/London" in page.inner_text(".messagelist")

    page.goto(f"{live_server.url}/admin/assignments/restaurant/{restaurant.pk}/change/")
    page.fill("#id_service_periods", '[{"name": "dinner", "start": "25:00", "end": "23:00"}]')
    with page.expect_navigation():
        page.click("input[name=_save]")
    page.locator(".field-service_periods").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "restaurant-service-periods-error.png"))
    assert "Each period's 'start' is a time from 00:00 to 23:59" in page.inner_text(".field-service_periods")

    page.goto(f"{live_server.url}/admin/assignments/tableadjacency/add/")
    page.select_option("#id_restaurant", str(restaurant.pk))
    with page.expect_navigation():
        page.click("input[name=_save]")
    page.screenshot(path=str(artifacts_dir / "adjacency-missing-table.png"))
    assert page.locator(".field-table_a .errorlist").inner_text().strip() == "This field is required."

    page.goto(f"{live_server.url}/admin/webhooks/webhooksubscription/add/")
    page.select_option("#id_owner", label="manager")
    page.fill("#id_url", "https://example.com/hook")
    page.fill("#id_event_types", '["booking.confirmed", "booking.seatd"]')
    with page.expect_navigation():
        page.click("input[name=_save]")
    page.screenshot(path=str(artifacts_dir / "webhook-event-types-error.png"))
    assert "Unknown event type(s): booking.seatd" in page.inner_text(".field-event_types")
