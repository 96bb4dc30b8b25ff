"""Every consumer follows the day's schedule: API booking creation and modification, holds, availability."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from assignments.models import (
    Booking,
    BookingStateHistory,
    Hold,
    ScheduleException,
    TableAllocation,
    WeeklyService,
)
from tests.factories import DAY, at

pytestmark = pytest.mark.django_db

SATURDAY, SUNDAY, MONDAY = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)


@pytest.fixture
def week(restaurant):
    """Saturday: lunch 12:00-15:00 (2p turn 60) and dinner 18:00-23:00, last seating 21:30 (2p turn 75); closed
    on Mondays; Sunday the default (17:00-23:30, 2p turn 90)."""
    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=5,
        name="lunch",
        start=time(12),
        end=time(15),
        turn_minutes={"2": 60, "default": 90},
    )
    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=5,
        name="dinner",
        start=time(18),
        end=time(23),
        last_seating=time(21, 30),
        turn_minutes={"2": 75, "default": 120},
    )
    WeeklyService.objects.create(restaurant=restaurant, weekday=0, closed=True)
    restaurant.refresh_from_db()
    return restaurant


def create(api, r, start, **over):
    body = {"restaurant": r.slug, "party_size": 2, "start_at": start.isoformat(), **over}
    return api.post("/api/bookings", body, format="json")


def test_api_bookings_take_the_weekday_s_turn_time(api, week):
    lunch = create(api, week, at("12:30", SATURDAY))
    dinner = create(api, week, at("19:00", SATURDAY))
    sunday = create(api, week, at("19:00", SUNDAY))
    assert lunch.status_code == dinner.status_code == sunday.status_code == 201, (
        lunch.content,
        sunday.content,
    )
    minutes = {
        k: (Booking.objects.get(pk=r.json()["id"]).end_at - Booking.objects.get(pk=r.json()["id"]).start_at)
        for k, r in (("lunch", lunch), ("dinner", dinner), ("sunday", sunday))
    }
    assert minutes == {
        "lunch": timedelta(minutes=60),
        "dinner": timedelta(minutes=75),
        "sunday": timedelta(minutes=90),
    }


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (
            at("17:00", SATURDAY),
            "17:00 is outside the service hours (lunch 12:00-15:00; dinner 18:00-23:00, last seating 21:30).",
        ),
        (at("22:00", SATURDAY), "22:00 is after the last seating of dinner (21:30)."),
        (at("19:00", MONDAY), "Closed on Mondays."),
    ],
)
def test_api_refuses_a_start_the_day_does_not_take_naming_the_reason(api, week, start, reason):
    r = create(api, week, start)
    assert r.status_code == 400 and r.json()["error"] == "invalid"
    assert r.json()["fields"]["start_at"] == [reason]
    assert not Booking.objects.exists() and not BookingStateHistory.objects.exists()


def test_api_refuses_a_dated_closure_and_takes_special_hours(api, restaurant):
    ScheduleException.objects.create(restaurant=restaurant, date=SUNDAY, closed=True, note="staff party")
    ScheduleException.objects.create(
        restaurant=restaurant,
        date=SATURDAY,
        name="gala",
        start=time(16),
        end=time(19, 30),
        turn_minutes={"default": 150},
    )
    r = create(api, restaurant, at("19:00", SUNDAY))
    assert r.status_code == 400 and r.json()["fields"]["start_at"] == [
        f"Closed on {SUNDAY:%a %d %b %Y} (staff party)."
    ]
    assert create(api, restaurant, at("20:00", SATURDAY)).status_code == 400  # the usual dinner is replaced
    ok = create(api, restaurant, at("16:30", SATURDAY))
    assert ok.status_code == 201, ok.content
    b = Booking.objects.get(pk=ok.json()["id"])
    assert b.end_at - b.start_at == timedelta(minutes=150)


def test_api_modification_follows_the_new_day_and_refuses_a_closed_one(api, week):
    r = create(api, week, at("19:00", SUNDAY))
    bid = r.json()["id"]
    before = Booking.objects.get(pk=bid)
    refused = api.patch(f"/api/bookings/{bid}", {"start_at": at("19:00", MONDAY).isoformat()}, format="json")
    assert refused.status_code == 400 and refused.json()["fields"]["start_at"] == ["Closed on Mondays."]
    assert Booking.objects.get(pk=bid).version == before.version
    moved = api.patch(f"/api/bookings/{bid}", {"start_at": at("19:00", SATURDAY).isoformat()}, format="json")
    assert moved.status_code == 202, moved.content  # accepted: re-planned by the pipeline
    after = Booking.objects.get(pk=bid)
    assert after.end_at - after.start_at == timedelta(minutes=75)  # Saturday dinner's turn for two


def test_holds_start_inside_the_day_s_services_and_last_the_day_s_turn(api, week):
    body = {"restaurant": week.slug, "party_size": 2, "ttl_seconds": 60}
    closed = api.post("/api/holds", {**body, "start_at": at("19:00", MONDAY).isoformat()}, format="json")
    assert closed.status_code == 400 and closed.json()["fields"]["start_at"] == ["Closed on Mondays."]
    late = api.post("/api/holds", {**body, "start_at": at("22:00", SATURDAY).isoformat()}, format="json")
    assert late.status_code == 400 and "last seating" in late.json()["fields"]["start_at"][0]
    assert not Hold.objects.exists() and not TableAllocation.objects.exists()
    ok = api.post("/api/holds", {**body, "start_at": at("12:30", SATURDAY).isoformat()}, format="json")
    assert ok.status_code == 201, ok.content
    hold = Hold.objects.get(pk=ok.json()["id"])
    assert hold.end_at - hold.start_at == timedelta(minutes=60 + week.buffer_minutes)  # lunch's turn + buffer
    too_long = api.post(
        "/api/holds",
        {**body, "start_at": at("13:00", SATURDAY).isoformat(), "duration_minutes": 70},
        format="json",
    )
    assert too_long.status_code == 400 and "60 minutes" in too_long.json()["fields"]["duration_minutes"][0]


def _grid(api, r, day, party_size=2):
    got = api.get(
        "/api/availability", {"restaurant": r.slug, "date": day.isoformat(), "party_size": party_size}
    )
    assert got.status_code == 200, got.content
    return got.json()


def test_availability_gives_each_weekday_its_own_hours_and_nothing_on_a_closed_day(api, week):
    sat = _grid(api, week, SATURDAY)
    starts = [s["start_at"][11:16] for s in sat["slots"]]
    assert starts[0] == "12:00" and "14:45" in starts and "15:00" not in starts and "17:45" not in starts
    assert starts[-1] == "21:30" and "18:00" in starts  # up to the last seating
    first = sat["slots"][0]
    assert first["end_at"][11:16] == "13:10"  # lunch's 60-minute turn for two + 10 buffer
    assert [s["name"] for s in sat["schedule"]["services"]] == ["lunch", "dinner"]
    sun = _grid(api, week, SUNDAY)
    assert sun["slots"][0]["start_at"][11:16] == "17:00" and sun["slots"][-1]["start_at"][11:16] == "23:15"
    mon = _grid(api, week, MONDAY)
    assert mon["slots"] == [] and mon["reason"] == "closed"
    assert mon["schedule"] == {"closed": True, "detail": "closed on Mondays", "services": []}
    ScheduleException.objects.create(
        restaurant=week, date=SUNDAY, name="brunch", start=time(10), end=time(14)
    )
    sun = _grid(api, week, SUNDAY)
    assert sun["slots"][0]["start_at"][11:16] == "10:00" and sun["slots"][-1]["start_at"][11:16] == "13:45"
