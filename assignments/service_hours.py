"""A restaurant's service hours and turn times: when a booking may start, and how long a party keeps its table.

Pure Python (no Django): the restaurant model reads its stored periods and turn times through these, and the
scenario file format (assignments.scenario) builds its restaurant from the same values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class ServicePeriod:
    name: str
    start: str  # "HH:MM" local
    end: str  # "HH:MM" local; an end at or before start runs past midnight

    @property
    def start_minute(self) -> int:
        return minute_of(self.start)

    @property
    def end_minute(self) -> int:
        end = minute_of(self.end)
        return end if end > self.start_minute else end + 24 * 60


def is_party_size_key(key) -> bool:
    """Whether a turn-time key names a party size as turn_minutes_for reads it back: ASCII digits written as
    the number is ("2", not "02", whose time would never be found, nor "²", which int() refuses), at least 1."""
    return isinstance(key, str) and key.isascii() and key.isdigit() and key == str(int(key)) and int(key) >= 1


def turn_minutes_for(turn_minutes: Mapping[str, int], party_size: int) -> int:
    """Turn time: the smallest numeric key >= party size, else the default."""
    keys = sorted(int(k) for k in turn_minutes if k != "default")
    for k in keys:
        if k >= party_size:
            return int(turn_minutes[str(k)])
    return int(turn_minutes["default"])


def minute_of(hhmm: str) -> int:
    """ "HH:MM" as minutes from midnight; anything else is a ValueError."""
    m = HHMM.match(hhmm)
    if not m:
        raise ValueError(hhmm)
    return int(m.group(1)) * 60 + int(m.group(2))


def minute_in_periods(minute: int, periods: Sequence[ServicePeriod]) -> int | None:
    """A wall-clock minute (0..1439) as a minute of the service day (past midnight: > 1440) when a booking may
    start then, else None."""
    for p in periods:
        for m in (minute, minute + 24 * 60):
            if p.start_minute <= m < p.end_minute:
                return m
    return None


def service_periods_error(rows) -> str | None:
    """Why stored service periods are malformed (periods_from and every reader would fail on them), or None:
    a list of objects, each with "start" and "end" as "HH:MM" (00:00 to 23:59) that differ, and an optional
    "name"."""
    example = 'e.g. [{"name": "dinner", "start": "18:00", "end": "23:00"}]'
    if not isinstance(rows, list) or not rows:
        return f"A list of service periods, {example}."
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("name", ""), str):
            return f"Each period is an object with a name, a start and an end, {example}."
        for key in ("start", "end"):
            value = row.get(key)
            if not isinstance(value, str) or not HHMM.match(value):
                return f'Each period\'s {key!r} is a time from 00:00 to 23:59, like "18:00" (not {value!r}).'
        if row["start"] == row["end"]:
            return f"A period cannot end when it starts ({row['start']})."
    return None


def periods_from(rows: Sequence[Mapping[str, str]]) -> tuple[ServicePeriod, ...]:
    """Stored service periods (a restaurant's JSON) as ServicePeriod values."""
    return tuple(ServicePeriod(name=r.get("name", ""), start=r["start"], end=r["end"]) for r in rows)
