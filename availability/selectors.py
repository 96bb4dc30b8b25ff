"""Reads of the availability app: which slots of a service day can seat a party, and with which plans.

A snapshot is one slot for one party size (and the accessible / include-holds flags). Snapshots are
cached per restaurant + slot and carry the restaurant-day version they were computed under, `as_of`
and `valid_until` (the first expiry of a hold they count). One that is older than
MAITRE["AVAILABILITY_MAX_AGE_SECONDS"], of an older version, or past its valid_until is recomputed;
the cache entry's TTL is the same short backstop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Min

from assignments.conf import maitre_settings
from assignments.context import (
    elapsed_minutes,
    engine_for,
    floor_state,
    from_minutes,
    occupancy_for_day,
    wall_minute_exists,
)
from assignments.engine import Candidate, Floor, Occupancy
from assignments.engine.pacing import PacingLedger
from assignments.models import Hold, Restaurant
from assignments.schedules import DaySchedule
from assignments.selectors.pacing import day_pacing_ledger
from assignments.selectors.schedule import restaurant_day_schedule
from availability.versions import version_get, version_key

PARTY_TOO_LARGE = "party_too_large"
FULLY_BOOKED = "fully_booked"
NO_SERVICE = "no_service"
CLOSED = "closed"


def max_age_seconds() -> float:
    return float(maitre_settings.AVAILABILITY_MAX_AGE_SECONDS)


def slots_for_day(*, restaurant: Restaurant, day: date) -> list[int]:
    """Slot starts in engine minutes (from local midnight): every slot_minutes step inside each service of
    that day's schedule, start included, up to its last seating and before its end; a service ending at or
    before its start runs past midnight. A closed day has none."""
    return restaurant_day_schedule(restaurant=restaurant, day=day).slots()


def snapshot_key(
    restaurant_id: int,
    floor_version: int,
    day: date,
    minute: int,
    party_size: int,
    accessible: bool,
    include_holds: bool,
    schedule_version: int = 1,
) -> str:
    """The floor and schedule versions are part of the key: a table, zone or schedule edit makes every snapshot
    of the restaurant miss."""
    return (
        f"avail:s:{restaurant_id}:{floor_version}:{schedule_version}:{day.isoformat()}:{minute}:{party_size}:{int(accessible)}:"
        f"{int(include_holds)}"
    )


INFINITY = 10**9


@dataclass
class DayFloor:
    """What the computation of a day's snapshots reads: the floor and the day's occupancy (a query or
    two, plus the floor when it is not cached in the process)."""

    floor: Floor
    occupancy: Occupancy
    valid_until: float | None  # epoch seconds of the first expiry of a counted hold
    schedule: DaySchedule | None = None
    pacing: PacingLedger | None = None  # None: the day sets no pacing

    def __post_init__(self) -> None:
        self._intervals = {t: self.occupancy.intervals(t) for t in self.floor.table_ids}
        self._until: dict[int, tuple[dict[str, int], list[tuple[int, Candidate]]]] = {}
        self.turn_groups: dict[tuple, list[tuple[int, int, int]]] = {}

    def free_until(self, minute: int) -> tuple[dict[str, int], list[tuple[int, Candidate]]]:
        """For a slot start: until when each table stays free (the slot itself if it is taken), and every plan
        shape with the minute its first table is taken. A table or shape is free over [minute, end) exactly
        when that minute is >= end."""
        hit = self._until.get(minute)
        if hit is not None:
            return hit
        tables: dict[str, int] = {}
        for tid, intervals in self._intervals.items():
            until = INFINITY
            for start, end, _ref in intervals:  # a handful per table and day, sorted by start
                if end <= minute:
                    continue
                until = minute if start <= minute else start
                break
            tables[tid] = until
        shapes = [(min(tables[t] for t in c.tables), c) for c in self.floor.candidates]
        self._until[minute] = (tables, shapes)
        return tables, shapes


def day_floor_load(*, restaurant: Restaurant, day: date, include_holds: bool) -> DayFloor:
    state = floor_state(restaurant=restaurant)
    floor = engine_for(restaurant=restaurant, floor=state.floor).floor  # its candidate shapes are cached
    occupancy, rows = occupancy_for_day(
        restaurant=restaurant, day=day, floor=floor, include_holds=include_holds
    )
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    pacing = day_pacing_ledger(restaurant=restaurant, day=day, alloc_rows=rows)
    valid_until = None
    hold_ids = {r["hold_id"] for r in rows if r["hold_id"]}
    if hold_ids:
        first = Hold.objects.filter(pk__in=hold_ids).aggregate(first=Min("expires_at"))["first"]
        valid_until = first.timestamp() if first else None
    return DayFloor(
        floor=floor, occupancy=occupancy, valid_until=valid_until, schedule=schedule, pacing=pacing
    )


def _turn_groups(schedule: DaySchedule, minute: int, largest: int) -> list[tuple[int, int, int]]:
    """Party sizes 1..largest grouped by their turn time at that minute: (lowest, highest, turn minutes)."""
    groups: list[tuple[int, int, int]] = []
    for p in range(1, largest + 1):
        turn = schedule.turn_for(p, minute)
        if groups and groups[-1][2] == turn:
            groups[-1] = (groups[-1][0], p, turn)
        else:
            groups.append((p, p, turn))
    return groups


def snapshot_compute(
    *,
    restaurant: Restaurant,
    day: date,
    minute: int,
    party_size: int,
    accessible: bool,
    include_holds: bool,
    day_floor: DayFloor,
    version: int,
) -> dict[str, Any]:
    """One slot by the engine's candidate rules: Floor.candidates_for + every table free over
    [slot, slot + turn + buffer), the turn of that day's service. A slot where starting would break the day's
    pacing has no plans and a largest party of at most what pacing still lets start there (0: paced full)."""
    floor = day_floor.floor
    buffer = restaurant.buffer_minutes
    schedule = day_floor.schedule or restaurant_day_schedule(restaurant=restaurant, day=day)
    # `minute` is the slot on the wall clock (the hours', pacing's); the occupancy counts elapsed minutes from
    # the day's local midnight. The two differ only after the clocks change that night.
    start_at = from_minutes(restaurant, day, minute)
    at = elapsed_minutes(restaurant, day, start_at)
    length = schedule.turn_for(party_size, minute) + buffer
    end = at + length
    tables_until, shapes_until = day_floor.free_until(at)
    rank = floor.zone_rank
    plans = sorted(
        (
            c
            for c in floor.candidates_for(party_size, accessible)
            if all(tables_until[t] >= end for t in c.tables)
        ),
        key=lambda c: (c.max_covers - party_size, c.size, rank[c.zone], c.tables),
    )
    usable = [(until, c) for until, c in shapes_until if c.accessible or not accessible]
    floor_largest = max((c.max_covers for _u, c in usable), default=0)
    service = schedule.service_around(minute)
    turns = service.turn_minutes if service is not None else schedule.turn_minutes
    gkey = (floor_largest, tuple(sorted(turns.items())))
    groups = day_floor.turn_groups.get(gkey)
    if groups is None:
        groups = day_floor.turn_groups[gkey] = _turn_groups(schedule, minute, floor_largest)
    largest = 0
    for lo, hi, turn in reversed(groups):
        if hi <= largest:
            break
        group_end = at + turn + buffer
        for until, c in usable:
            if until >= group_end:
                reach = min(c.max_covers, hi)
                if reach >= lo and (c.size > 1 or reach >= c.min_covers) and reach > largest:
                    largest = reach
    paced = None
    if day_floor.pacing is not None:
        paced = day_floor.pacing.refusal(minute, party_size)
        room = day_floor.pacing.room(minute)
        if paced is not None:
            plans = []
        if room is not None:
            largest = min(largest, room)
    return {
        "minute": minute,
        "start_at": start_at.isoformat(),
        "end_at": (start_at.astimezone(UTC) + timedelta(minutes=length))
        .astimezone(start_at.tzinfo)
        .isoformat(),
        "plans": [list(c.tables) for c in plans],
        "free_tables": sorted(t for t, until in tables_until.items() if until >= end),
        "largest_party": largest,
        "floor_largest_party": floor_largest,
        "paced": paced,
        "version": version,
        "as_of": time.time(),
        "valid_until": day_floor.valid_until,
    }


def _fresh(snap: dict | None, version: int, now: float, max_age: float) -> bool:
    if snap is None or snap.get("version") != version or now - snap["as_of"] > max_age:
        return False
    valid_until = snap.get("valid_until")
    return valid_until is None or now < valid_until


def snapshots_for_slots(
    *,
    restaurant: Restaurant,
    day: date,
    minutes: list[int],
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> tuple[int, list[dict[str, Any]]]:
    """(version, snapshots in slot order). Warm: one cache round trip. Cold: three or four queries for the
    whole day, then one cache write."""
    vkey = version_key(restaurant.pk, day)
    keys = {
        m: snapshot_key(
            restaurant.pk,
            restaurant.floor_version,
            day,
            m,
            party_size,
            accessible,
            include_holds,
            restaurant.schedule_version,
        )
        for m in minutes
    }
    got = cache.get_many([vkey, *keys.values()])
    version = got.get(vkey)
    version = int(version) if version is not None else version_get(restaurant_id=restaurant.pk, day=day)
    now, max_age = time.time(), max_age_seconds()
    out: dict[int, dict] = {}
    missing = []
    for m, key in keys.items():
        snap = got.get(key)
        if snap is not None and _fresh(snap, version, now, max_age):
            out[m] = snap
        else:
            missing.append(m)
    if missing:
        # The version was read before the floor: a change committing meanwhile leaves these snapshots
        # under the old version, so they are recomputed on the next read (never the other way round).
        day_floor = day_floor_load(restaurant=restaurant, day=day, include_holds=include_holds)
        fresh = {}
        for m in missing:
            snap = snapshot_compute(
                restaurant=restaurant,
                day=day,
                minute=m,
                party_size=party_size,
                accessible=accessible,
                include_holds=include_holds,
                day_floor=day_floor,
                version=version,
            )
            out[m] = snap
            fresh[keys[m]] = snap
        cache.set_many(fresh, timeout=max_age)
    return version, [out[m] for m in minutes]


def availability_for_day(
    *,
    restaurant: Restaurant,
    day: date,
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> dict[str, Any]:
    """Every slot of the day at which the party can be seated, with the plans free there and per-slot
    figures; an empty answer says why (closed that day: `closed`, with the schedule's reason). `paced` lists
    the slots that have free tables but where starting would break the day's pacing (shown as full)."""
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    minutes = [m for m in schedule.slots() if wall_minute_exists(restaurant, day, m)]  # not in a skipped hour
    version, snaps = snapshots_for_slots(
        restaurant=restaurant,
        day=day,
        minutes=minutes,
        party_size=party_size,
        accessible=accessible,
        include_holds=include_holds,
    )
    seatable = [s for s in snaps if s["plans"]]
    reason = None
    floor_largest = snaps[0]["floor_largest_party"] if snaps else 0
    if schedule.closed:
        reason = CLOSED
    elif not minutes:
        reason = NO_SERVICE
    elif party_size > floor_largest:
        reason = PARTY_TOO_LARGE
    elif not seatable:
        reason = FULLY_BOOKED
    as_of = min((s["as_of"] for s in snaps), default=time.time())
    return {
        "restaurant": restaurant.slug,
        "date": day.isoformat(),
        "party_size": party_size,
        "accessible": accessible,
        "include_holds": include_holds,
        "version": version,
        "as_of": as_of,
        "largest_party_on_floor": floor_largest,
        "reason": reason,
        "schedule": {
            "closed": schedule.closed,
            "detail": schedule.closed_reason or schedule.note or None,
            "services": [
                {
                    "name": s.name,
                    "start_at": from_minutes(restaurant, day, s.start).isoformat(),
                    "end_at": from_minutes(restaurant, day, s.end).isoformat(),
                    "last_seating_at": from_minutes(restaurant, day, s.last_seating).isoformat(),
                }
                for s in schedule.services
            ],
        },
        "paced": [{"start_at": s["start_at"], "reason": s["paced"]} for s in snaps if s.get("paced")],
        "slots": seatable,
    }


def availability_for_slot(
    *,
    restaurant: Restaurant,
    start_at: datetime,
    party_size: int,
    accessible: bool = False,
    include_holds: bool = True,
) -> dict[str, Any]:
    """One slot's snapshot (the start need not be on the slot grid)."""
    day = restaurant.service_day_of(start_at)
    minute = restaurant.minute_of_day(start_at, day)
    _version, (snap,) = snapshots_for_slots(
        restaurant=restaurant,
        day=day,
        minutes=[minute],
        party_size=party_size,
        accessible=accessible,
        include_holds=include_holds,
    )
    return snap
