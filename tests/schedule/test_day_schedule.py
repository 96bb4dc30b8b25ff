"""The one schedule selector: weekly rows, dated exceptions, the default, the service day, the cache."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assignments.engine.pacing import PacingLimits
from assignments.models import Restaurant, ScheduleException, WeeklyService
from assignments.schedules import HoursRow, resolve_day
from assignments.selectors.schedule import restaurant_day_schedule, schedule_rows
from tests.factories import DAY, DAY_LONG, at

pytestmark = pytest.mark.django_db

SATURDAY = DAY  # tests.factories: a Saturday a week or more ahead
FRIDAY = DAY - timedelta(days=1)
MONDAY = DAY + timedelta(days=2)


def weekly(restaurant, weekday, name="dinner", start="18:00", end="22:00", **kw) -> WeeklyService:
    h = lambda s: time.fromisoformat(s) if s else None  # noqa: E731
    return WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=weekday,
        name=name,
        start=h(start),
        end=h(end),
        **{k: h(v) if k == "last_seating" else v for k, v in kw.items()},
    )


def test_without_rows_every_weekday_runs_the_default_periods_and_turns(restaurant):
    assert SATURDAY.weekday() == 5
    for d in range(7):
        s = restaurant_day_schedule(restaurant=restaurant, day=SATURDAY + timedelta(days=d))
        assert s.source == "default" and [(x.name, x.start, x.end) for x in s.services] == [
            ("dinner", 1020, 1410)
        ]
        assert s.turn_for(2, 19 * 60) == restaurant.turn_for(2) == 90


def test_a_weekday_has_its_own_services_turns_and_last_seating(restaurant):
    weekly(restaurant, 5, "lunch", "12:00", "15:00", turn_minutes={"2": 60, "default": 80})
    weekly(
        restaurant,
        5,
        "dinner",
        "18:00",
        "23:00",
        last_seating="21:30",
        turn_minutes={"2": 75, "default": 100},
    )
    sat = restaurant_day_schedule(restaurant=restaurant, day=SATURDAY)
    assert [(x.name, x.start, x.end, x.last_seating) for x in sat.services] == [
        ("lunch", 720, 900, 899),
        ("dinner", 1080, 1380, 1290),
    ]
    assert (
        sat.turn_for(2, 12 * 60) == 60 and sat.turn_for(2, 19 * 60) == 75 and sat.turn_for(5, 19 * 60) == 100
    )
    assert sat.refusal(21 * 60 + 30) is None
    assert sat.refusal(21 * 60 + 45) == "21:45 is after the last seating of dinner (21:30)"
    assert sat.refusal(17 * 60).startswith("17:00 is outside the service hours (lunch 12:00-15:00; dinner")
    fri = restaurant_day_schedule(restaurant=restaurant, day=FRIDAY)
    assert fri.source == "default" and fri.refusal(17 * 60) is None  # other weekdays keep the default


def test_a_closed_weekday_and_a_dated_exception(restaurant):
    WeeklyService.objects.create(restaurant=restaurant, weekday=0, closed=True)
    monday = restaurant_day_schedule(restaurant=restaurant, day=MONDAY)
    assert monday.closed and monday.refusal(19 * 60) == "closed on Mondays" and monday.slots() == []
    ScheduleException.objects.create(
        restaurant=restaurant, date=SATURDAY, closed=True, note="private wedding"
    )
    sat = restaurant_day_schedule(restaurant=restaurant, day=SATURDAY)
    assert sat.closed and sat.refusal(19 * 60) == f"closed on {DAY_LONG} (private wedding)"
    ScheduleException.objects.all().delete()
    ScheduleException.objects.create(
        restaurant=restaurant, date=MONDAY, name="dinner", start=time(18), end=time(21), note="bank holiday"
    )
    monday = restaurant_day_schedule(restaurant=restaurant, day=MONDAY)
    assert monday.source == "exception" and [(x.start, x.end) for x in monday.services] == [(1080, 1260)]
    assert monday.turn_for(2, 19 * 60) == 90  # no turn times of its own: the restaurant's
    assert restaurant_day_schedule(restaurant=restaurant, day=SATURDAY).source == "default"


def test_special_hours_inherit_the_weekday_service_turns_of_the_same_name(restaurant):
    weekly(restaurant, 5, "dinner", "18:00", "23:00", turn_minutes={"2": 70, "default": 100})
    ScheduleException.objects.create(
        restaurant=restaurant, date=SATURDAY, name="dinner", start=time(16), end=time(20)
    )
    ScheduleException.objects.create(
        restaurant=restaurant,
        date=SATURDAY,
        name="late",
        start=time(21),
        end=time(1),
        turn_minutes={"default": 45},
    )
    sat = restaurant_day_schedule(restaurant=restaurant, day=SATURDAY)
    assert [(x.name, x.start, x.end) for x in sat.services] == [("dinner", 960, 1200), ("late", 1260, 1500)]
    assert sat.turn_for(2, 17 * 60) == 70 and sat.turn_for(2, 22 * 60) == 45


def test_the_service_day_follows_the_day_before_past_midnight(restaurant):
    weekly(restaurant, 4, "late", "20:00", "02:00")  # Friday runs to 02:00 on Saturday
    weekly(restaurant, 5, "lunch", "12:00", "15:00")
    assert restaurant.service_day_of(at("01:30", SATURDAY)) == FRIDAY
    assert restaurant.service_day_of(at("11:00", SATURDAY)) == FRIDAY  # before Saturday opens
    assert restaurant.service_day_of(at("12:30", SATURDAY)) == SATURDAY
    assert restaurant.is_open_at(at("01:30", SATURDAY)) and not restaurant.is_open_at(at("02:30", SATURDAY))
    assert restaurant.service_day_of(at("01:30", FRIDAY)) == FRIDAY  # Thursday closes before midnight


def test_rows_are_cached_until_the_schedule_changes(restaurant, django_assert_num_queries):
    restaurant_day_schedule(restaurant=restaurant, day=SATURDAY)
    with django_assert_num_queries(0):
        schedule_rows(restaurant=restaurant)
        restaurant_day_schedule(restaurant=restaurant, day=SATURDAY + timedelta(days=7))
    version = restaurant.schedule_version
    row = weekly(restaurant, 5, "dinner", "18:00", "21:00")
    stored = Restaurant.objects.get(pk=restaurant.pk).schedule_version
    assert restaurant.schedule_version == stored != version  # the loaded restaurant learns the new version
    assert restaurant_day_schedule(restaurant=restaurant, day=SATURDAY).closes == 21 * 60
    row.delete()
    restaurant.refresh_from_db()
    assert restaurant_day_schedule(restaurant=restaurant, day=SATURDAY).source == "default"


def test_a_row_is_validated_like_a_host_would_expect(restaurant):
    from django.core.exceptions import ValidationError

    row = WeeklyService(restaurant=restaurant, weekday=1, name="dinner", start=time(18), end=None)
    with pytest.raises(ValidationError) as e:
        row.full_clean()
    assert "end" in e.value.message_dict
    row = WeeklyService(
        restaurant=restaurant,
        weekday=1,
        name="dinner",
        start=time(18),
        end=time(22),
        last_seating=time(23),
        turn_minutes={"2": 60},
    )
    with pytest.raises(ValidationError) as e:
        row.full_clean()
    assert set(e.value.message_dict) == {"last_seating", "turn_minutes"}
    WeeklyService(restaurant=restaurant, weekday=1, closed=True).full_clean()
    assert MONDAY.weekday() == 0  # the weekday numbers above: Monday is 0


# -- pure: any weekly schedule resolves into a day whose slots it takes and whose gaps it refuses -------------


@st.composite
def _rows(draw):
    n = draw(st.integers(1, 3))
    starts = sorted(draw(st.lists(st.integers(0, 23 * 4), min_size=n, max_size=n, unique=True)))
    rows = []
    for i, s in enumerate(starts):
        start = s * 15
        limit = starts[i + 1] * 15 if i + 1 < n else start + 8 * 60  # services of a day do not overlap
        length = draw(st.integers(15, max(15, min(limit - start, 8 * 60))))
        end = (start + length) % 1440
        last = draw(st.none() | st.integers(start, start + length - 1)) if length > 15 else None
        rows.append(
            HoursRow(
                name=f"s{i}",
                closed=False,
                start=start,
                end=end,
                last_seating=None if last is None else last % 1440,
                turn_minutes=draw(st.sampled_from([{}, {"2": 60, "default": 95}])),
                pacing=PacingLimits(),
            )
        )
    return tuple(rows)


@hsettings(max_examples=120, deadline=None)
@given(rows=_rows(), slot=st.sampled_from([5, 15, 30]))
def test_every_slot_of_a_resolved_day_is_bookable_and_the_rest_is_refused(rows, slot):
    day = resolve_day(
        day=DAY,
        default_periods=[("dinner", 1020, 1410)],
        default_turns={"default": 120},
        default_pacing=PacingLimits(),
        weekly={DAY.weekday(): rows},
        exceptions=(),
        slot_minutes=slot,
    )
    assert [s.name for s in day.services] == [r.name for r in rows]
    slots = day.slots()
    assert slots and all(day.refusal(m) is None for m in slots)
    bookable = {m for m in range(0, 2 * 1440) if day.refusal(m) is None}
    assert bookable == {m for s in day.services for m in range(s.start, s.last_seating + 1)}
    for m in bookable:
        assert day.turn_for(2, m) in (60, 120) and day.turn_for(5, m) in (95, 120)
