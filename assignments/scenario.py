"""The scenario/v1 format: one restaurant's floor and one service day of booking requests.

Pure Python (no Django): the importer, the exporter, the engine benchmark and the generator all
share these dataclasses, so a file is validated the same way wherever it is read. Service hours and turn times,
which the models use too, live in assignments.service_hours; the models never import this format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assignments.service_hours import (
    HHMM,
    ServicePeriod,
    is_party_size_key,
    minute_in_periods,
    minute_of,
    turn_minutes_for,
)

FORMAT_TAG = "scenario/v1"

# What the database keeps of a scenario (assignments.models; tests/assignments/test_scenarios.py checks that
# these agree with the columns): a value beyond them is refused here, naming its field, on SQLite and
# PostgreSQL alike, instead of failing half-way through an import (or passing on SQLite only).
SMALLINT_MAX = 32767  # slot, buffer, combination size, covers, party size (PositiveSmallIntegerField)
INTEGER_MAX = 2147483647  # arrival (PositiveIntegerField), zone priority (IntegerField)
NAME_MAX_LENGTH = 200  # the restaurant's and a zone's name
ZONE_ID_MAX_LENGTH = 64  # Zone.key
TABLE_ID_MAX_LENGTH = 32  # Table.label
BOOKING_ID_MAX_LENGTH = 100  # Booking.external_ref
# Spans in minutes (slot, buffer, turn times, durations) are at most a day; dates are those a datetime can
# carry with a day's service and its bookings on either side, whatever the time zone.
MINUTES_MAX = 24 * 60
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(9998, 12, 31)


class ScenarioError(ValueError):
    """A scenario file is malformed; `field` points at the offending value (e.g. ``tables[3].zone``)."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True, slots=True)
class ScenarioRestaurant:
    name: str
    timezone: str
    date: date
    slot_minutes: int
    buffer_minutes: int
    max_combination_tables: int
    turn_minutes: Mapping[str, int]
    service_periods: tuple[ServicePeriod, ...]

    def turn_for(self, party_size: int) -> int:
        """Turn time: the smallest numeric key >= party size, else the default."""
        return turn_minutes_for(self.turn_minutes, party_size)


@dataclass(frozen=True, slots=True)
class ScenarioZone:
    id: str
    name: str
    priority: int


@dataclass(frozen=True, slots=True)
class ScenarioTable:
    id: str
    zone: str
    min_covers: int
    max_covers: int
    combinable: bool
    accessible: bool


@dataclass(frozen=True, slots=True)
class ScenarioBooking:
    id: str
    party_size: int
    start: str  # "HH:MM" local
    start_minute: int  # minutes after local midnight of the scenario date (past midnight: > 1440)
    duration_minutes: int  # resolved from turn_minutes when the file says null
    explicit_duration: bool  # whether the file gave duration_minutes
    preferred_zone: str | None
    accessible: bool
    arrival: int

    @property
    def end_minute(self) -> int:
        return self.start_minute + self.duration_minutes


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    restaurant: ScenarioRestaurant
    zones: tuple[ScenarioZone, ...]
    tables: tuple[ScenarioTable, ...]
    adjacency: tuple[tuple[str, str], ...]
    bookings: tuple[ScenarioBooking, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def covers_requested(self) -> int:
        return sum(b.party_size for b in self.bookings)

    def bookings_by_arrival(self) -> list[ScenarioBooking]:
        return sorted(self.bookings, key=lambda b: (b.arrival, b.id))

    def local_datetime(self, minute: int) -> datetime:
        """An aware datetime for a minute offset on the scenario date."""
        tz = ZoneInfo(self.restaurant.timezone)
        midnight = datetime.combine(self.restaurant.date, time(0, 0))
        return (midnight + timedelta(minutes=minute)).replace(tzinfo=tz)


def _req(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise ScenarioError(where, "must be an object")
    if key not in obj:
        raise ScenarioError(f"{where}.{key}" if where else key, "is required")
    return obj[key]


def _int(value: Any, where: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(where, f"must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ScenarioError(where, f"must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ScenarioError(where, f"must be <= {maximum}, got {value}")
    return value


def _str(value: Any, where: str, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(where, f"must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ScenarioError(where, f"must not contain NUL characters, got {value!r}")
    if max_length is not None and len(value) > max_length:
        raise ScenarioError(where, f"must be at most {max_length} characters, got {len(value)}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(where, f"must be true or false, got {value!r}")
    return value


def _hhmm(value: Any, where: str) -> str:
    if not isinstance(value, str) or not HHMM.match(value):
        raise ScenarioError(where, f"must be a time HH:MM, got {value!r}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ScenarioError(where, "must be a list")
    return value


def parse_scenario(data: Any) -> Scenario:
    """Validate a decoded scenario document; raise ScenarioError naming the field on the first fault."""
    if not isinstance(data, Mapping):
        raise ScenarioError("(document)", "must be a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT_TAG:
        raise ScenarioError("format", f"must be {FORMAT_TAG!r}, got {fmt!r}")
    name = _str(_req(data, "name", ""), "name")

    r = _req(data, "restaurant", "")
    tz_name = _str(_req(r, "timezone", "restaurant"), "restaurant.timezone")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScenarioError("restaurant.timezone", f"unknown time zone {tz_name!r}") from exc
    raw_date = _str(_req(r, "date", "restaurant"), "restaurant.date")
    try:
        day = date.fromisoformat(raw_date)
    except ValueError as exc:
        raise ScenarioError("restaurant.date", f"must be a date YYYY-MM-DD, got {raw_date!r}") from exc
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ScenarioError(
            "restaurant.date", f"must be between {FIRST_DATE} and {LAST_DATE}, got {raw_date}"
        )
    turn = _req(r, "turn_minutes", "restaurant")
    if not isinstance(turn, Mapping) or "default" not in turn:
        raise ScenarioError("restaurant.turn_minutes", "must be an object with a 'default' key")
    turn_clean: dict[str, int] = {}
    for k, v in turn.items():
        if k != "default" and not (is_party_size_key(k) and int(k) <= SMALLINT_MAX):
            raise ScenarioError(f"restaurant.turn_minutes.{k}", "keys must be party sizes or 'default'")
        turn_clean[str(k)] = _int(v, f"restaurant.turn_minutes.{k}", 1, MINUTES_MAX)
    periods = []
    for i, p in enumerate(_list(_req(r, "service_periods", "restaurant"), "restaurant.service_periods")):
        where = f"restaurant.service_periods[{i}]"
        period = ServicePeriod(
            name=_str(_req(p, "name", where), f"{where}.name"),
            start=_hhmm(_req(p, "start", where), f"{where}.start"),
            end=_hhmm(_req(p, "end", where), f"{where}.end"),
        )
        if period.start == period.end:
            raise ScenarioError(f"{where}.end", f"a period cannot end when it starts ({period.start})")
        periods.append(period)
    if not periods:
        raise ScenarioError("restaurant.service_periods", "needs at least one period")
    restaurant = ScenarioRestaurant(
        name=_str(_req(r, "name", "restaurant"), "restaurant.name", NAME_MAX_LENGTH),
        timezone=tz_name,
        date=day,
        slot_minutes=_int(_req(r, "slot_minutes", "restaurant"), "restaurant.slot_minutes", 1, MINUTES_MAX),
        buffer_minutes=_int(
            _req(r, "buffer_minutes", "restaurant"), "restaurant.buffer_minutes", 0, MINUTES_MAX
        ),
        max_combination_tables=_int(
            _req(r, "max_combination_tables", "restaurant"),
            "restaurant.max_combination_tables",
            1,
            SMALLINT_MAX,
        ),
        turn_minutes=turn_clean,
        service_periods=tuple(periods),
    )

    zones: list[ScenarioZone] = []
    zone_ids: set[str] = set()
    for i, z in enumerate(_list(_req(data, "zones", ""), "zones")):
        where = f"zones[{i}]"
        zid = _str(_req(z, "id", where), f"{where}.id", ZONE_ID_MAX_LENGTH)
        if zid in zone_ids:
            raise ScenarioError(f"{where}.id", f"duplicate zone id {zid!r}")
        zone_ids.add(zid)
        zones.append(
            ScenarioZone(
                id=zid,
                name=_str(z.get("name", zid), f"{where}.name", NAME_MAX_LENGTH),
                priority=_int(z.get("priority", i + 1), f"{where}.priority", -INTEGER_MAX - 1, INTEGER_MAX),
            )
        )

    tables: list[ScenarioTable] = []
    table_ids: set[str] = set()
    for i, t in enumerate(_list(_req(data, "tables", ""), "tables")):
        where = f"tables[{i}]"
        tid = _str(_req(t, "id", where), f"{where}.id", TABLE_ID_MAX_LENGTH)
        if tid in table_ids:
            raise ScenarioError(f"{where}.id", f"duplicate table id {tid!r}")
        table_ids.add(tid)
        zone = _str(_req(t, "zone", where), f"{where}.zone")
        if zone not in zone_ids:
            raise ScenarioError(f"{where}.zone", f"unknown zone {zone!r}")
        lo = _int(_req(t, "min_covers", where), f"{where}.min_covers", 1, SMALLINT_MAX)
        hi = _int(_req(t, "max_covers", where), f"{where}.max_covers", 1, SMALLINT_MAX)
        if hi < lo:
            raise ScenarioError(f"{where}.max_covers", f"must be >= min_covers ({lo}), got {hi}")
        tables.append(
            ScenarioTable(
                id=tid,
                zone=zone,
                min_covers=lo,
                max_covers=hi,
                combinable=_bool(t.get("combinable", False), f"{where}.combinable"),
                accessible=_bool(t.get("accessible", False), f"{where}.accessible"),
            )
        )

    edges: list[tuple[str, str]] = []
    seen_edges: set[frozenset[str]] = set()
    for i, e in enumerate(_list(data.get("adjacency", []), "adjacency")):
        where = f"adjacency[{i}]"
        if not isinstance(e, list) or len(e) != 2:
            raise ScenarioError(where, "must be a pair of table ids")
        a, b = (_str(x, where) for x in e)
        for x in (a, b):
            if x not in table_ids:
                raise ScenarioError(where, f"unknown table {x!r}")
        if a == b:
            raise ScenarioError(where, f"a table cannot be adjacent to itself ({a!r})")
        key = frozenset((a, b))
        if key in seen_edges:
            raise ScenarioError(where, f"duplicate edge {a!r}-{b!r}")
        seen_edges.add(key)
        edges.append((a, b))

    bookings: list[ScenarioBooking] = []
    booking_ids: set[str] = set()
    for i, b in enumerate(_list(_req(data, "bookings", ""), "bookings")):
        where = f"bookings[{i}]"
        bid = _str(_req(b, "id", where), f"{where}.id", BOOKING_ID_MAX_LENGTH)
        if bid in booking_ids:
            raise ScenarioError(f"{where}.id", f"duplicate booking id {bid!r}")
        booking_ids.add(bid)
        party = _int(_req(b, "party_size", where), f"{where}.party_size", 1, SMALLINT_MAX)
        start = _hhmm(_req(b, "start", where), f"{where}.start")
        start_minute = _start_in_periods(start, restaurant.service_periods, f"{where}.start")
        raw_duration = b.get("duration_minutes")
        duration = (
            restaurant.turn_for(party)
            if raw_duration is None
            else _int(raw_duration, f"{where}.duration_minutes", 1, MINUTES_MAX)
        )
        zone = b.get("preferred_zone")
        if zone is not None and zone not in zone_ids:
            raise ScenarioError(f"{where}.preferred_zone", f"unknown zone {zone!r}")
        bookings.append(
            ScenarioBooking(
                id=bid,
                party_size=party,
                start=start,
                start_minute=start_minute,
                duration_minutes=duration,
                explicit_duration=raw_duration is not None,
                preferred_zone=zone,
                accessible=_bool(b.get("accessible", False), f"{where}.accessible"),
                arrival=_int(b.get("arrival", i), f"{where}.arrival", 0, INTEGER_MAX),
            )
        )
    known = {"format", "name", "restaurant", "zones", "tables", "adjacency", "bookings"}
    return Scenario(
        name=name,
        restaurant=restaurant,
        zones=tuple(zones),
        tables=tuple(tables),
        adjacency=tuple(edges),
        bookings=tuple(bookings),
        extra={k: v for k, v in data.items() if k not in known},
    )


def _start_in_periods(start: str, periods: tuple[ServicePeriod, ...], where: str) -> int:
    found = minute_in_periods(minute_of(start), periods)
    if found is not None:
        return found
    spans = ", ".join(f"{p.name} {p.start}-{p.end}" for p in periods)
    raise ScenarioError(where, f"{start} is outside the service periods ({spans})")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; bad JSON is a ScenarioError too."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            "(document)", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError:
        raise ScenarioError("(document)", "nested too deeply to be a scenario") from None
    return parse_scenario(data)
