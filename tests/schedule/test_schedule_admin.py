"""Editing a restaurant's weekly schedule and exceptions on its admin page (the inlines), as a manager would."""

from __future__ import annotations

from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User

from assignments.models import Booking, ScheduleException, WeeklyService
from assignments.selectors.schedule import restaurant_day_schedule
from tests.factories import DAY, DAY_LONG

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The change form's fields as a browser would submit them (text, hidden, checked boxes, selects)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            else:
                self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


@pytest.fixture
def manager(restaurant):
    return User.objects.create_superuser("manager", "m@example.com", "pw")


def _form(client, restaurant) -> dict[str, str]:
    page = client.get(f"/admin/assignments/restaurant/{restaurant.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Weekly schedule" in html and "Dated exceptions" in html
    form = _Form()
    form.feed(html)
    return {k: v for k, v in form.data.items() if "__prefix__" not in k}


def test_a_manager_sets_a_closed_monday_saturday_hours_with_pacing_and_a_holiday(client, manager, restaurant):
    client.force_login(manager)
    data = _form(client, restaurant)
    data.update(
        {
            "weeklyservices-TOTAL_FORMS": "2",
            "weeklyservices-0-weekday": "0",
            "weeklyservices-0-closed": "on",
            "weeklyservices-0-name": "",
            "weeklyservices-1-weekday": "5",
            "weeklyservices-1-name": "dinner",
            "weeklyservices-1-start": "18:00",
            "weeklyservices-1-end": "23:00",
            "weeklyservices-1-last_seating": "21:30",
            "weeklyservices-1-turn_minutes": '{"2": 75, "default": 110}',
            "weeklyservices-1-pacing_covers_per_slot": "20",
            "scheduleexceptions-TOTAL_FORMS": "1",
            "scheduleexceptions-0-date": (DAY + timedelta(days=20)).isoformat(),
            "scheduleexceptions-0-closed": "on",
            "scheduleexceptions-0-note": "Christmas Day",
            "scheduleexceptions-0-name": "",
            "pacing_covers_per_service": "80",
            "_save": "Save",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    restaurant.refresh_from_db()
    assert restaurant.pacing_covers_per_service == 80
    sat = restaurant_day_schedule(restaurant=restaurant, day=DAY)
    (dinner,) = sat.services
    assert (dinner.start, dinner.end, dinner.last_seating, dinner.turn_for(2)) == (1080, 1380, 1290, 75)
    assert (dinner.pacing.covers_per_slot, dinner.pacing.covers_per_service) == (20, 80)
    assert (
        restaurant_day_schedule(restaurant=restaurant, day=DAY + timedelta(days=2)).closed_reason
        == "closed on Mondays"
    )
    assert (
        restaurant_day_schedule(restaurant=restaurant, day=DAY + timedelta(days=20)).closed_reason
        == f"closed on {DAY + timedelta(days=20):%a %d %b %Y} (Christmas Day)"
    )


def test_a_bad_row_is_explained_on_the_page_and_nothing_is_saved(client, manager, restaurant):
    client.force_login(manager)
    data = _form(client, restaurant)
    data.update(
        {
            "weeklyservices-TOTAL_FORMS": "1",
            "weeklyservices-0-weekday": "5",
            "weeklyservices-0-name": "dinner",
            "weeklyservices-0-start": "18:00",
            "weeklyservices-0-end": "",
            "weeklyservices-0-turn_minutes": '{"2": 75}',
            "_save": "Save",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Give the end of service, or tick closed." in html and "with a &#x27;default&#x27; entry" in html
    assert not WeeklyService.objects.exists() and not ScheduleException.objects.exists()
    assert not Booking.objects.exists()


def test_the_timeline_shows_the_day_s_hours_or_that_it_is_closed(client, manager, restaurant):
    client.force_login(manager)
    ScheduleException.objects.create(restaurant=restaurant, date=DAY, closed=True, note="private wedding")
    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=6,
        name="brunch",
        start=time(10),
        end=time(15),
        last_seating=time(14),
        pacing_covers_per_slot=12,
    )
    url = f"/admin/assignments/restaurant/{restaurant.pk}/timeline/"
    closed = client.get(url, {"date": DAY.isoformat()}).content.decode()
    assert 'class="maitre-schedule closed"' in closed and f"Closed on {DAY_LONG} (private wedding)" in closed
    sunday = client.get(url, {"date": (DAY + timedelta(days=1)).isoformat()}).content.decode()
    assert "Weekly hours: brunch 10:00-15:00, last seating 14:00 (pacing 12 covers/slot)" in sunday
