"""The one reader of a restaurant's schedule: "the schedule of restaurant R on local date D".

Every consumer (booking and hold validation, turn times, availability, the engine's context, the coordinator's
pacing, the timeline, scenarios) goes through restaurant_day_schedule. The weekly rows and the dated
exceptions are loaded in two queries and kept in the process until the restaurant's schedule_version changes
(every save or delete of a row gives it a new value, never one used before), the way the floor is; a resolved day
is memoised on the restaurant instance, so a request or a batch resolves each day once. Rows read inside a
transaction that changes them are kept too: were it rolled back, no later change reaches its version again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from assignments.caches import caches_register
from assignments.engine.pacing import PacingLedger, PacingLimits
from assignments.models import Restaurant, ScheduleException, WeeklyService
from assignments.schedules import DaySchedule, HoursRow, resolve_day

_ROWS: OrderedDict[tuple, ScheduleRows] = OrderedDict()
_ROWS_CACHE_SIZE = 256
_ROWS_LOCK = threading.Lock()
caches_register(_ROWS.clear, name="assignments.selectors.schedule._ROWS")


@dataclass(frozen=True)
class ScheduleRows:
    weekly: dict[int, tuple[HoursRow, ...]]
    exceptions: dict[date, tuple[HoursRow, ...]]


def _minute(t: time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def _row(r) -> HoursRow:
    return HoursRow(
        name=r.name,
        closed=r.closed,
        start=_minute(r.start),
        end=_minute(r.end),
        last_seating=_minute(r.last_seating),
        turn_minutes={str(k): int(v) for k, v in (r.turn_minutes or {}).items()},
        pacing=PacingLimits(
            r.pacing_covers_per_slot, r.pacing_bookings_per_slot, r.pacing_covers_per_service
        ),
        note=getattr(r, "note", ""),
    )


def _rows_key(restaurant: Restaurant) -> tuple:
    return restaurant.pk, restaurant.created_at, restaurant.schedule_version


def schedule_rows(*, restaurant: Restaurant) -> ScheduleRows:
    """The restaurant's weekly rows and exceptions: two queries on a miss, none while schedule_version holds."""
    key = _rows_key(restaurant)
    with _ROWS_LOCK:  # worker and web threads share the cache
        hit = _ROWS.get(key)
        if hit is not None:
            _ROWS.move_to_end(key)
            return hit
    if restaurant.pk is None:
        return ScheduleRows(weekly={}, exceptions={})
    return _rows_load({restaurant.pk: key})[restaurant.pk]


def schedule_rows_prefetch(*, restaurants: Iterable[Restaurant]) -> None:
    """Load the rows of every restaurant not in the cache yet in two queries (not two per restaurant): for a page
    that reads many restaurants' days at once (the console's Today panel)."""
    missing: dict[int, tuple] = {}
    with _ROWS_LOCK:
        for r in restaurants:
            key = _rows_key(r)
            if r.pk is not None and key not in _ROWS:
                missing[r.pk] = key
    if missing:
        _rows_load(missing)


def _rows_load(keys: dict[int, tuple]) -> dict[int, ScheduleRows]:
    """The rows of the restaurants `keys` names (pk: cache key), in two queries, put in the cache."""
    weekly: dict[int, dict[int, list[HoursRow]]] = {pk: {} for pk in keys}
    exceptions: dict[int, dict[date, list[HoursRow]]] = {pk: {} for pk in keys}
    for w in WeeklyService.objects.filter(restaurant_id__in=keys).order_by("weekday", "start", "name"):
        weekly[w.restaurant_id].setdefault(w.weekday, []).append(_row(w))
    for e in ScheduleException.objects.filter(restaurant_id__in=keys).order_by("date", "start", "name"):
        exceptions[e.restaurant_id].setdefault(e.date, []).append(_row(e))
    loaded = {
        pk: ScheduleRows(
            weekly={k: tuple(v) for k, v in weekly[pk].items()},
            exceptions={k: tuple(v) for k, v in exceptions[pk].items()},
        )
        for pk in keys
    }
    with _ROWS_LOCK:
        for pk, key in keys.items():
            _ROWS[key] = loaded[pk]
        while len(_ROWS) > _ROWS_CACHE_SIZE:
            _ROWS.popitem(last=False)
    return loaded


def restaurant_pacing(restaurant: Restaurant) -> PacingLimits:
    return PacingLimits(
        restaurant.pacing_covers_per_slot,
        restaurant.pacing_bookings_per_slot,
        restaurant.pacing_covers_per_service,
    )


def _instance_key(restaurant: Restaurant) -> tuple:
    """What the instance's own fields contribute (they may be edited on the instance between calls)."""
    return (
        restaurant.schedule_version,
        restaurant.slot_minutes,
        repr(restaurant.service_periods),
        repr(restaurant.turn_minutes),
        restaurant.pacing_covers_per_slot,
        restaurant.pacing_bookings_per_slot,
        restaurant.pacing_covers_per_service,
    )


def restaurant_day_schedule(*, restaurant: Restaurant, day: date) -> DaySchedule:
    """The schedule of `restaurant` on the service day `day` (its local date): services with their start, end,
    last seating, turn times and pacing, or closed with the reason."""
    memo = restaurant.__dict__.setdefault("_day_schedules", {})
    ikey = _instance_key(restaurant)
    got = memo.get(day)
    if got is not None and got[0] == ikey:
        return got[1]
    rows = schedule_rows(restaurant=restaurant)
    schedule = resolve_day(
        day=day,
        default_periods=[(p.name, p.start_minute, p.end_minute) for p in restaurant.periods],
        default_turns={str(k): int(v) for k, v in (restaurant.turn_minutes or {"default": 120}).items()},
        default_pacing=restaurant_pacing(restaurant),
        weekly=rows.weekly,
        exceptions=rows.exceptions.get(day, ()),
        slot_minutes=restaurant.slot_minutes,
    )
    if len(memo) > 64:
        memo.clear()
    memo[day] = (ikey, schedule)
    return schedule


def restaurant_service_day(*, restaurant: Restaurant, moment: datetime) -> date:
    """The service day a moment belongs to: before the day's first opening, while the day before ran past
    midnight, it is still the day before (so a late service stays with its evening)."""
    local = moment.astimezone(restaurant.tzinfo)
    today = local.date()
    minute = local.hour * 60 + local.minute
    before = restaurant_day_schedule(restaurant=restaurant, day=today - timedelta(days=1))
    if not before.crosses_midnight:
        return today
    opens = [
        o
        for o in (before.opens, restaurant_day_schedule(restaurant=restaurant, day=today).opens)
        if o is not None
    ]
    if minute < min(opens):
        return today - timedelta(days=1)
    return today


def schedule_at(*, restaurant: Restaurant, moment: datetime) -> tuple[DaySchedule, int]:
    """(the schedule of the moment's service day, the moment as a minute of that day)."""
    day = restaurant_service_day(restaurant=restaurant, moment=moment)
    return restaurant_day_schedule(restaurant=restaurant, day=day), restaurant.minute_of_day(moment, day)


def booking_start_refusal(*, restaurant: Restaurant, start_at: datetime) -> str | None:
    """Why a booking or a hold may not start then (closed day, outside the hours, after the last seating)."""
    schedule, minute = schedule_at(restaurant=restaurant, moment=start_at)
    return schedule.refusal(minute)


def turn_minutes_at(*, restaurant: Restaurant, party_size: int, start_at: datetime) -> int:
    """A party's turn time when it starts at `start_at`: that day's service's turn times."""
    schedule, minute = schedule_at(restaurant=restaurant, moment=start_at)
    return schedule.turn_for(party_size, minute)


def pacing_ledger(
    *, restaurant: Restaurant, day: date, seated: list[tuple[int, datetime, int]]
) -> PacingLedger:
    """The day's pacing ledger from the bookings seated in it: (booking id, start, covers) each."""
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    ledger = PacingLedger(schedule.paced_services(), schedule.slot_minutes)
    ledger.add_many((f"b{pk}", restaurant.minute_of_day(start, day), covers) for pk, start, covers in seated)
    return ledger
