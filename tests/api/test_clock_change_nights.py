"""The nights the clocks change, as a booking platform sends local times (found by the API audit of issue 15's
last round): a local time the clocks skip is a 400 naming it and nothing is written; a turn time is elapsed
time on either night (a 90-minute dinner is 90 minutes, not 30 or 150); a time the clocks go through twice is
the first of the two unless an offset says otherwise. Dates are computed from today (the next such nights at
least a week ahead), so the tests never age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from assignments.models import Booking, Hold

pytestmark = pytest.mark.django_db


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - 6) % 7)


def _next(month: int) -> date:
    """London's next clock change in that month (March: forward, October: back), at least 7 days ahead."""
    soon = timezone.now().date() + timedelta(days=7)
    year = soon.year
    while _last_sunday(year, month) < soon:
        year += 1
    return _last_sunday(year, month)


@pytest.fixture
def late_bar(restaurant):
    """Open 22:00-03:00, across the change (London changes at 01:00 UTC)."""
    restaurant.service_periods = [{"name": "late", "start": "22:00", "end": "03:00"}]
    restaurant.booking_horizon_days = 400
    restaurant.save()
    return restaurant


def _create(api, restaurant, start: str, **extra):
    body = {
        "restaurant": restaurant.slug,
        "party_size": 2,
        "start_at": start,
        "duration_minutes": 90,
        **extra,
    }
    return api.post("/api/bookings", body, format="json")


def test_a_local_time_the_clocks_skip_is_refused_naming_it(api_a, late_bar):
    night = _next(3)
    for start in (f"{night}T01:00", f"{night}T01:30", f"{night}T01:59"):
        r = _create(api_a, late_bar, start)
        assert r.status_code == 400, r.content
        assert "does not exist in Europe/London" in r.json()["fields"]["start_at"][0]
    h = api_a.post(
        "/api/holds",
        {"restaurant": late_bar.slug, "start_at": f"{night}T01:30", "tables": ["M1"]},
        format="json",
    )
    assert h.status_code == 400 and "does not exist" in str(h.json())
    assert not Booking.objects.exists() and not Hold.objects.exists()


@pytest.mark.parametrize("month", [3, 10])
def test_a_turn_is_elapsed_time_across_the_change(api_a, late_bar, month):
    night = _next(month)
    r = _create(api_a, late_bar, f"{night}T00:30")  # 00:30 local, before the change at 01:00 UTC either way
    assert r.status_code == 201, r.content
    b = Booking.objects.get(pk=r.json()["id"])
    assert b.end_at - b.start_at == timedelta(minutes=90)
    # the same instant sent with its offset is the same booking's time
    offset = "+00:00" if month == 3 else "+01:00"
    assert b.start_at == datetime.fromisoformat(f"{night}T00:30{offset}").astimezone(UTC)


def test_a_local_time_the_clocks_go_through_twice_is_the_first_unless_an_offset_says(api_a, late_bar):
    night = _next(10)
    first = _create(api_a, late_bar, f"{night}T01:30")
    second = _create(api_a, late_bar, f"{night}T01:30+00:00")
    assert first.status_code == 201 and second.status_code == 201, (first.content, second.content)
    a, b = (Booking.objects.get(pk=r.json()["id"]) for r in (first, second))
    assert a.start_at == datetime(night.year, night.month, night.day, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert b.start_at - a.start_at == timedelta(hours=1)
    assert a.end_at - a.start_at == timedelta(minutes=90) == b.end_at - b.start_at
