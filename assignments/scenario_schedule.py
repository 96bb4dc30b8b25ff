"""The optional `schedule` key of a scenario/v1 document: a restaurant's weekly schedule, dated exceptions and
pacing, beside the single day the format describes (docs/scenario-schedule.md).

Pure (no Django): validated into plain dicts here, written to the database by
assignments.services.schedule.schedule_replace. A scenario without the key is read exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from assignments.scenario import ScenarioError
from assignments.service_hours import is_party_size_key

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PACING_KEYS = ("covers_per_slot", "bookings_per_slot", "covers_per_service")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _hhmm(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ScenarioError(where, "must be a local time HH:MM")
    return value


def _pacing(value: Any, where: str) -> dict[str, int | None]:
    if value is None:
        return dict.fromkeys(PACING_KEYS)
    if not isinstance(value, Mapping):
        raise ScenarioError(where, f"must be an object with any of {', '.join(PACING_KEYS)}")
    unknown = set(value) - set(PACING_KEYS)
    if unknown:
        raise ScenarioError(f"{where}.{sorted(unknown)[0]}", f"unknown; use {', '.join(PACING_KEYS)}")
    out: dict[str, int | None] = {}
    for k in PACING_KEYS:
        v = value.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ScenarioError(f"{where}.{k}", "must be a whole number of at least 1, or null")
        out[k] = v
    return out


def _turns(value: Any, where: str) -> dict[str, int]:
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping) or "default" not in value:
        raise ScenarioError(where, "must be an object with a 'default' key")
    out = {}
    for k, v in value.items():
        if k != "default" and not is_party_size_key(k):
            raise ScenarioError(f"{where}.{k}", "keys must be party sizes or 'default'")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ScenarioError(f"{where}.{k}", "must be a whole number of minutes, at least 1")
        out[str(k)] = v
    return out


def _service(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(where, "must be an object with name, start and end")
    start, end = _hhmm(value.get("start"), f"{where}.start"), _hhmm(value.get("end"), f"{where}.end")
    if start == end:
        raise ScenarioError(f"{where}.end", "a service cannot end when it starts")
    last = value.get("last_seating")
    return {
        "name": str(value.get("name") or ""),
        "start": start,
        "end": end,
        "last_seating": _hhmm(last, f"{where}.last_seating") if last is not None else None,
        "turn_minutes": _turns(value.get("turn_minutes"), f"{where}.turn_minutes"),
        "pacing": _pacing(value.get("pacing"), f"{where}.pacing"),
    }


def _services(value: Any, where: str) -> list[dict[str, Any]] | None:
    """A day's services, or None for "closed"."""
    if value == "closed":
        return None
    if not isinstance(value, list) or not value:
        raise ScenarioError(where, 'must be "closed" or a non-empty list of services')
    services = [_service(s, f"{where}[{i}]") for i, s in enumerate(value)]
    names = [s["name"] for s in services]
    if len(set(names)) != len(names):
        raise ScenarioError(where, "service names must differ within a day")
    return services


def parse_schedule(value: Any) -> dict[str, Any]:
    """Validate a `schedule` value: {"pacing": {...}, "weekly": {day: "closed" | [service, ...]},
    "exceptions": [{"date", "closed" | "services", "note"}]}. Raises ScenarioError pointing at the value."""
    if not isinstance(value, Mapping):
        raise ScenarioError(
            "schedule", "must be an object with weekly, exceptions and pacing (each optional)"
        )
    unknown = set(value) - {"weekly", "exceptions", "pacing"}
    if unknown:
        raise ScenarioError(f"schedule.{sorted(unknown)[0]}", "unknown; use weekly, exceptions, pacing")
    weekly_in = value.get("weekly") or {}
    if not isinstance(weekly_in, Mapping):
        raise ScenarioError("schedule.weekly", "must be an object keyed by weekday (monday ... sunday)")
    weekly = {}
    for day, services in weekly_in.items():
        if day not in DAYS:
            raise ScenarioError(f"schedule.weekly.{day}", "must be a weekday: monday ... sunday")
        weekly[DAYS.index(day)] = _services(services, f"schedule.weekly.{day}")
    exceptions = []
    seen: set[date] = set()
    for i, e in enumerate(value.get("exceptions") or []):
        where = f"schedule.exceptions[{i}]"
        if not isinstance(e, Mapping):
            raise ScenarioError(where, "must be an object with a date")
        try:
            day = date.fromisoformat(str(e.get("date")))
        except ValueError as exc:
            raise ScenarioError(f"{where}.date", "must be a date YYYY-MM-DD") from exc
        if day in seen:
            raise ScenarioError(f"{where}.date", "one entry per date")
        seen.add(day)
        if e.get("closed") is True:
            services = None
        elif "services" in e:
            services = _services(e["services"], f"{where}.services")
        else:
            raise ScenarioError(where, 'needs "closed": true or "services"')
        exceptions.append({"date": day, "services": services, "note": str(e.get("note") or "")[:200]})
    return {
        "pacing": _pacing(value.get("pacing"), "schedule.pacing"),
        "weekly": weekly,
        "exceptions": exceptions,
    }
