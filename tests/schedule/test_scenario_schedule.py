"""The optional `schedule` key of a scenario: imported, exported, validated by name; files without it unchanged."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from assignments.models import Restaurant, ScheduleException, WeeklyService
from assignments.scenario import ScenarioError, parse_scenario
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.services.scenarios import scenario_export, scenario_import

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "sample-small.json"
SCHEDULE = {
    "pacing": {"covers_per_slot": 30, "bookings_per_slot": None, "covers_per_service": None},
    "weekly": {
        "monday": "closed",
        "friday": [
            {
                "name": "dinner",
                "start": "17:00",
                "end": "01:00",
                "last_seating": "23:00",
                "turn_minutes": {"2": 80, "default": 120},
                "pacing": {"covers_per_slot": 20, "bookings_per_slot": 4, "covers_per_service": None},
            }
        ],
    },
    "exceptions": [{"date": "2026-12-25", "closed": True, "note": "Christmas Day"}],
}


def _doc(**extra) -> dict:
    doc = json.loads(SAMPLE.read_text())
    doc.update(extra)
    return doc


def test_a_file_with_a_schedule_imports_it_and_exports_it_back():
    doc = _doc(schedule=SCHEDULE)
    day = date.fromisoformat(doc["restaurant"]["date"])
    assert day.weekday() not in (0, 4)  # the file's own day keeps the default hours
    restaurant = scenario_import(scenario=parse_scenario(doc))
    assert WeeklyService.objects.filter(restaurant=restaurant).count() == 2
    assert restaurant.pacing_covers_per_slot == 30
    monday = day + timedelta(days=(0 - day.weekday()) % 7)
    assert restaurant_day_schedule(restaurant=restaurant, day=monday).closed
    assert (
        restaurant_day_schedule(restaurant=restaurant, day=date(2026, 12, 25)).closed_reason
        == "closed on Fri 25 Dec 2026 (Christmas Day)"
    )
    exported = scenario_export(restaurant=restaurant)
    assert exported["schedule"] == SCHEDULE
    assert {k: v for k, v in exported.items() if k != "schedule"}["restaurant"] == doc["restaurant"]


def test_a_file_without_a_schedule_exports_without_one():
    restaurant = scenario_import(scenario=parse_scenario(_doc()))
    assert "schedule" not in scenario_export(restaurant=restaurant)
    assert not WeeklyService.objects.exists() and restaurant.schedule_version == 1


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"weekly": {"funday": "closed"}}, "schedule.weekly.funday"),
        (
            {"weekly": {"monday": [{"name": "x", "start": "25:00", "end": "23:00"}]}},
            "schedule.weekly.monday[0].start",
        ),
        (
            {
                "weekly": {
                    "monday": [{"name": "x", "start": "12:00", "end": "15:00", "turn_minutes": {"2": 60}}]
                }
            },
            "schedule.weekly.monday[0].turn_minutes",
        ),
        ({"exceptions": [{"date": "2026-02-30", "closed": True}]}, "schedule.exceptions[0].date"),
        ({"pacing": {"covers_per_slot": 0}}, "schedule.pacing.covers_per_slot"),
        ({"holidays": []}, "schedule.holidays"),
    ],
)
def test_a_bad_schedule_is_refused_by_name_and_nothing_is_written(schedule, field):
    with pytest.raises(ScenarioError) as e:
        scenario_import(scenario=parse_scenario(_doc(schedule=schedule)))
    assert e.value.field == field
    assert not Restaurant.objects.exists()


def test_the_file_s_own_day_must_agree_with_its_schedule():
    doc = _doc()
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        date.fromisoformat(doc["restaurant"]["date"]).weekday()
    ]
    with pytest.raises(ScenarioError) as e:
        scenario_import(scenario=parse_scenario(_doc(schedule={"weekly": {weekday: "closed"}})))
    assert e.value.field.startswith("bookings[") and f"closed on {weekday.title()}s" in str(e.value)
    assert not Restaurant.objects.exists() and not WeeklyService.objects.exists()


def test_a_day_with_hours_of_its_own_exports_a_file_that_reimports_to_the_same_week():
    doc = _doc()
    day = date.fromisoformat(doc["restaurant"]["date"])
    restaurant = scenario_import(scenario=parse_scenario(doc))
    from datetime import time

    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=day.weekday(),
        name="dinner",
        start=time(16),
        end=time(23, 45),
        turn_minutes={"default": 100},
    )
    ScheduleException.objects.create(restaurant=restaurant, date=day + timedelta(days=3), closed=True)
    restaurant.refresh_from_db()
    exported = scenario_export(restaurant=restaurant, day=day)
    assert exported["restaurant"]["service_periods"] == [{"name": "dinner", "start": "16:00", "end": "23:45"}]
    assert len(exported["schedule"]["weekly"]) == 7
    again = scenario_import(scenario=parse_scenario(exported), slug="again")
    for d in range(14):
        one = restaurant_day_schedule(restaurant=restaurant, day=day + timedelta(days=d))
        two = restaurant_day_schedule(restaurant=again, day=day + timedelta(days=d))
        assert [(s.name, s.start, s.end, s.last_seating, dict(s.turn_minutes)) for s in one.services] == [
            (s.name, s.start, s.end, s.last_seating, dict(s.turn_minutes)) for s in two.services
        ], d
        assert one.closed == two.closed

    def spans(r):
        return {b.external_ref: (b.start_at, b.end_at) for b in r.bookings.all()}

    assert spans(again) == spans(restaurant)  # durations survive the day's own turn times
