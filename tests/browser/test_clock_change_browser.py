"""The timeline of a bar open 22:00-03:00 on the night London's clocks go back (02:00 BST -> 01:00 GMT): parties
seated across the change are drawn at their real length and the hour the clocks go through twice is labelled twice.
Screenshot (1366x768): artifacts/screenshots/timeline-clock-change-night.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_clock_change_nights import _next, _seated_from
from tests.browser.conftest import sign_in_as_manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_autumn_night_timeline_reads_like_the_night_was(
    live_server, browser_page, restaurant, artifacts_dir
):
    restaurant.service_periods = [{"name": "late", "start": "22:00", "end": "03:00"}]
    restaurant.booking_horizon_days = 400
    restaurant.save()
    night = _next(10)
    day = night - timedelta(days=1)

    def utc(hh: int, mm: int, on=night) -> datetime:
        return datetime(on.year, on.month, on.day, hh, mm, tzinfo=UTC)

    _seated_from(restaurant, "M2", utc(22, 30, day))  # 23:30-01:00 BST
    _seated_from(restaurant, "M1", utc(0, 45))  # 01:45 BST to 02:15 GMT: 90 minutes of real time
    _seated_from(restaurant, "T1", utc(1, 15))  # 01:15-02:45 GMT, after the change

    page = browser_page
    sign_in_as_manager(
        page, live_server, f"/admin/assignments/restaurant/{restaurant.pk}/timeline/?date={day.isoformat()}"
    )
    hours = page.locator("svg text[y='13']").evaluate_all("els => els.map(e => e.textContent)")
    assert hours == ["22:00", "23:00", "00:00", "01:00 BST", "01:00 GMT", "02:00", "03:00"], hours
    assert "01:00 to 02:00 comes twice" in page.inner_text("#maitre-clock-note")
    widths = {
        g.get_attribute("data-label").split(" · ")[0]: float(g.locator("rect").first.get_attribute("width"))
        for g in page.locator("g[data-booking]").all()
    }
    assert len(set(widths.values())) == 1, (
        widths
    )  # three 90-minute dinners, all as wide, across the change or not
    page.screenshot(path=str(artifacts_dir / "timeline-clock-change-night.png"))
