"""The restaurant's admin page at 1366x768: the floor version is shown as text, not a box to type in (it is a
cache key drawn at random on every floor change), the list of restaurants has no column of it and the add page
does not show it. Screenshots: artifacts/screenshots/restaurant-floor-version.png, restaurant-list.png,
restaurant-add.png."""

from __future__ import annotations

import pytest

from assignments.models import Restaurant
from tests.browser.conftest import sign_in_as_manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_floor_version_is_read_only_and_not_listed(live_server, browser_page, restaurant, artifacts_dir):
    page = browser_page
    change = f"/admin/assignments/restaurant/{restaurant.pk}/change/"
    sign_in_as_manager(page, live_server, change)
    version = Restaurant.objects.get(pk=restaurant.pk).floor_version

    row = page.locator(".field-floor_version")
    row.scroll_into_view_if_needed()
    assert row.locator(".readonly").inner_text().strip() == str(version)
    assert page.locator("[name=floor_version]").count() == 0
    page.screenshot(path=str(artifacts_dir / "restaurant-floor-version.png"))

    page.goto(f"{live_server.url}/admin/assignments/restaurant/")
    page.screenshot(path=str(artifacts_dir / "restaurant-list.png"))
    assert restaurant.name in page.inner_text("#result_list")
    assert page.locator("#result_list th.column-floor_version").count() == 0

    page.goto(f"{live_server.url}/admin/assignments/restaurant/add/")
    page.locator(".field-max_assignment_attempts").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "restaurant-add.png"))
    assert (
        page.locator(".field-slot_minutes").count() == 1 and page.locator(".field-floor_version").count() == 0
    )
