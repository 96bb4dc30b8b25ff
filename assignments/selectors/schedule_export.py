"""A restaurant's schedule as the optional `schedule` key of a scenario/v1 document (the inverse of
assignments.scenario_schedule.parse_schedule)."""

from __future__ import annotations

from assignments.models import Restaurant, ScheduleException, WeeklyService
from assignments.scenario_schedule import DAYS


def _time(hhmm: str):
    from datetime import time

    return time.fromisoformat(hhmm)


def _hhmm(t) -> str | None:
    return None if t is None else f"{t:%H:%M}"


def _pacing(row) -> dict:
    return {
        "covers_per_slot": row.pacing_covers_per_slot,
        "bookings_per_slot": row.pacing_bookings_per_slot,
        "covers_per_service": row.pacing_covers_per_service,
    }


def _services(rows) -> str | list[dict]:
    if any(r.closed for r in rows):
        return "closed"
    return [
        {
            "name": r.name,
            "start": _hhmm(r.start),
            "end": _hhmm(r.end),
            "last_seating": _hhmm(r.last_seating),
            "turn_minutes": dict(r.turn_minutes or {}),
            "pacing": _pacing(r),
        }
        for r in rows
    ]


def schedule_document(*, restaurant: Restaurant, materialise: bool = False) -> dict | None:
    """The restaurant's weekly rows, exceptions and pacing; None when it has none of them (the document then
    stays exactly as before). With `materialise`, every weekday without rows is written out with the
    restaurant's default periods and turn times (the export does so when the document's own day has hours of
    its own, since the document's service_periods are then that day's)."""
    weekly: dict[int, list] = {}
    for r in WeeklyService.objects.filter(restaurant=restaurant).order_by("weekday", "start", "name"):
        weekly.setdefault(r.weekday, []).append(r)
    if materialise:
        for d in range(7):
            weekly.setdefault(
                d,
                [
                    WeeklyService(
                        restaurant=restaurant,
                        weekday=d,
                        name=p.name,
                        start=_time(p.start),
                        end=_time(p.end),
                        turn_minutes=dict(restaurant.turn_minutes),
                    )
                    for p in restaurant.periods
                ],
            )
    dated: dict = {}
    for e in ScheduleException.objects.filter(restaurant=restaurant).order_by("date", "start", "name"):
        dated.setdefault(e.date, []).append(e)
    pacing = _pacing(restaurant)
    if not weekly and not dated and not any(v is not None for v in pacing.values()):
        return None
    exceptions = []
    for day, rows in dated.items():
        services = _services(rows)
        entry = {"date": day.isoformat(), "note": next((r.note for r in rows if r.note), "")}
        entry.update({"closed": True} if services == "closed" else {"services": services})
        exceptions.append(entry)
    return {
        "pacing": pacing,
        "weekly": {DAYS[d]: _services(rows) for d, rows in sorted(weekly.items())},
        "exceptions": exceptions,
    }
