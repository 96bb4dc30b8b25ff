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


def test_availability_on_the_spring_night_offers_no_skipped_time_and_sees_what_is_booked(
    api_a, late_bar, django_capture_on_commit_callbacks
):
    """Slots are wall-clock times of the day's hours; none falls in the hour the clocks skip, each lasts the turn
    in real time, and a table booked after the change is taken at the slot it overlaps (the occupancy is read in
    elapsed time: a slot measured on the wall clock looked an hour later than the booking it overlaps)."""
    night = _next(3)
    day = night - timedelta(days=1)  # the bar's service day: it opens at 22:00 the evening before
    url = f"/api/availability?restaurant={late_bar.slug}&date={day}&party_size=2"

    def slots() -> dict[str, dict]:
        r = api_a.get(url)
        assert r.status_code == 200, r.content
        return {s["start_at"]: s for s in r.json()["slots"]}

    before = slots()
    starts = [datetime.fromisoformat(s) for s in before]
    assert starts and not [s for s in starts if s.astimezone(late_bar.tzinfo).hour == 1 and s.date() == night]
    for s in before.values():
        length = datetime.fromisoformat(s["end_at"]) - datetime.fromisoformat(s["start_at"])
        assert length == timedelta(minutes=late_bar.turn_for(2) + late_bar.buffer_minutes), s
    at_0230 = next(
        k
        for k in before
        if datetime.fromisoformat(k).astimezone(late_bar.tzinfo).strftime("%H:%M") == "02:30"
    )
    from assignments import coordinator

    with django_capture_on_commit_callbacks(execute=True):  # availability hears of the new tables on commit
        r = _create(api_a, late_bar, at_0230)  # 02:30 BST = 01:30 UTC, after the change
        assert r.status_code == 201
        coordinator.process_booking(booking_id=r.json()["id"])
    b = Booking.objects.get(pk=r.json()["id"])
    assert b.state == "confirmed", b.state
    taken = set(r2.table.label for r2 in b.allocations.select_related("table"))
    after = slots()[at_0230]
    assert after["free_tables"] == before[at_0230]["free_tables"] - len(taken)
    assert not [p for p in after["plans"] if taken & set(p)], after["plans"]
