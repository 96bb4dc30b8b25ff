"""A restaurant's schedule for one service day: which services run, when a booking may start, which turn times
apply and what pacing limits hold. Pure Python (no Django): the selector that reads the weekly schedule and
the dated exceptions resolves them into a DaySchedule; every consumer (bookings, holds, availability, the
engine's context, the timeline, scenarios) reads that one value.

Minutes are the engine's clock: minutes from the local midnight of the service day (past midnight: > 1440).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from assignments.engine.pacing import PacedService, PacingLimits
from assignments.service_hours import turn_minutes_for

DAY_MINUTES = 24 * 60
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def hhmm(minute: int) -> str:
    return f"{(minute // 60) % 24:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class Service:
    """One service of a day: bookings may start from `start` up to `last_seating` (inclusive) and before `end`."""

    name: str
    start: int
    end: int
    last_seating: int  # the latest start minute (end - 1 when the row gives none)
    turn_minutes: Mapping[str, int]
    pacing: PacingLimits = field(default_factory=PacingLimits)

    def takes(self, minute: int) -> bool:
        return self.start <= minute <= self.last_seating and minute < self.end

    def turn_for(self, party_size: int) -> int:
        return turn_minutes_for(self.turn_minutes, party_size)

    @property
    def span(self) -> str:
        last = f", last seating {hhmm(self.last_seating)}" if self.last_seating < self.end - 1 else ""
        return f"{self.name or 'service'} {hhmm(self.start)}-{hhmm(self.end)}{last}"


@dataclass(frozen=True, slots=True)
class DaySchedule:
    """The resolved schedule of one restaurant on one service day."""

    day: date
    services: tuple[Service, ...]  # by start
    turn_minutes: Mapping[str, int]  # the day's default turn times (outside any service: staff bookings)
    slot_minutes: int = 15
    closed_reason: str = ""  # set when the restaurant is closed all day
    source: str = "default"  # "default" | "weekly" | "exception"
    note: str = ""

    @property
    def closed(self) -> bool:
        return not self.services

    @property
    def opens(self) -> int | None:
        return min((s.start for s in self.services), default=None)

    @property
    def closes(self) -> int | None:
        return max((s.end for s in self.services), default=None)

    @property
    def crosses_midnight(self) -> bool:
        return any(s.end > DAY_MINUTES for s in self.services)

    def service_at(self, minute: int) -> Service | None:
        """The service a booking starting at this minute would belong to (None: outside service hours)."""
        for s in self.services:
            if s.takes(minute):
                return s
        return None

    def service_around(self, minute: int) -> Service | None:
        """The service whose hours contain the minute, last seating or not (for naming and pacing)."""
        for s in self.services:
            if s.start <= minute < s.end:
                return s
        return None

    def turn_for(self, party_size: int, minute: int | None = None) -> int:
        """Turn time for a party starting at `minute`: its service's table, else the day's."""
        service = self.service_around(minute) if minute is not None else None
        if service is None and minute is None and len(self.services) == 1:
            service = self.services[0]
        return (
            service.turn_for(party_size)
            if service is not None
            else turn_minutes_for(self.turn_minutes, party_size)
        )

    def longest_turn(self) -> int:
        tables = [self.turn_minutes, *(s.turn_minutes for s in self.services)]
        return max(int(v) for t in tables for v in t.values())

    def shortest_turn(self) -> int:
        tables = [self.turn_minutes, *(s.turn_minutes for s in self.services)]
        return min(int(v) for t in tables for v in t.values())

    def slots(self) -> list[int]:
        """Slot starts: every slot_minutes step from each service's start up to its last seating."""
        step = max(1, int(self.slot_minutes))
        out: set[int] = set()
        for s in self.services:
            out.update(m for m in range(s.start, s.end, step) if m <= s.last_seating)
        return sorted(out)

    def refusal(self, minute: int) -> str | None:
        """Why a booking may not start at this minute of the day, or None when it may."""
        if self.closed:
            return self.closed_reason or "the restaurant is closed that day"
        if self.service_at(minute) is not None:
            return None
        spans = "; ".join(s.span for s in self.services)
        late = next((s for s in self.services if s.last_seating < minute < s.end), None)
        if late is not None:
            return f"{hhmm(minute)} is after the last seating of {late.name or 'the service'} ({hhmm(late.last_seating)})"
        return f"{hhmm(minute)} is outside the service hours ({spans})"

    @property
    def hours_label(self) -> str:
        """Whose hours these are, for a reason: "special hours on Sat 05 Dec 2026 (private party)", "the hours of
        Saturdays", "the service hours"."""
        if self.source == "exception":
            return f"special hours on {self.day:%a %d %b %Y}" + (f" ({self.note})" if self.note else "")
        if self.source == "weekly":
            return f"the hours of {WEEKDAY_NAMES[self.day.weekday()]}s"
        return "the service hours"

    @property
    def hours_reason(self) -> str:
        """The day in one line for staff: closed, or its hours ("the hours of Saturdays: dinner 18:00-21:00")."""
        if self.closed:
            return self.closed_reason or "the restaurant is closed that day"
        return f"{self.hours_label}: " + "; ".join(s.span for s in self.services)

    def outside_reason(self, minute: int, *, moved_by: str = "") -> str | None:
        """Why a booking already made for this minute is outside the day's service now, naming the day's hours
        (the day was closed, or its hours changed since), or None while it is inside them. `moved_by` names what
        moved the booking's local time since it was made (a time zone change): then that is the cause given."""
        refusal = self.refusal(minute)
        if refusal is None:
            return None
        if moved_by:
            return f"{refusal}; {moved_by}"
        if self.closed:
            return refusal
        if self.source == "exception":
            changed = "special hours that day" + (f": {self.note}" if self.note else "")
        else:
            changed = f"{self.hours_label} changed"
        return f"{refusal}; {changed}"  # the time first: the review queue's column shows the start of it

    def paced_services(self) -> tuple[PacedService, ...]:
        return tuple(PacedService(s.name, s.start, s.end, s.pacing) for s in self.services)

    @property
    def paces(self) -> bool:
        return any(s.pacing.active for s in self.services)


@dataclass(frozen=True, slots=True)
class HoursRow:
    """One stored row of a weekly schedule or of a dated exception, as plain values."""

    name: str
    closed: bool
    start: int | None  # minutes from midnight
    end: int | None  # at or before start: past midnight
    last_seating: int | None
    turn_minutes: Mapping[str, int]
    pacing: PacingLimits
    note: str = ""


def service_from_row(
    row: HoursRow,
    *,
    default_turns: Mapping[str, int],
    default_pacing: PacingLimits,
    inherit_turns: Mapping[str, Mapping[str, int]] | None = None,
) -> Service:
    start = int(row.start or 0)
    end = int(row.end or 0)
    if end <= start:
        end += DAY_MINUTES
    last = row.last_seating
    if last is None:
        last = end - 1
    else:
        last = int(last)
        if last < start:
            last += DAY_MINUTES
        last = min(last, end - 1)
    turns = row.turn_minutes or (inherit_turns or {}).get(row.name) or default_turns
    return Service(
        name=row.name,
        start=start,
        end=end,
        last_seating=last,
        turn_minutes=dict(turns),
        pacing=row.pacing.over(default_pacing),
    )


def resolve_day(
    *,
    day: date,
    default_periods: Sequence[tuple[str, int, int]],
    default_turns: Mapping[str, int],
    default_pacing: PacingLimits,
    weekly: Mapping[int, Sequence[HoursRow]],
    exceptions: Sequence[HoursRow],
    slot_minutes: int,
) -> DaySchedule:
    """The schedule of one day. A dated exception replaces the weekday entirely (closed, or its own services;
    a service without turn times takes those of the weekday's service of the same name, else the restaurant's).
    A weekday without rows runs the restaurant's default service periods and turn times."""
    default_services = tuple(
        Service(
            name=n,
            start=s,
            end=e,
            last_seating=e - 1,
            turn_minutes=dict(default_turns),
            pacing=default_pacing,
        )
        for n, s, e in default_periods
    )
    rows = weekly.get(day.weekday(), ())
    if rows:
        if any(r.closed for r in rows):
            week = DaySchedule(
                day,
                (),
                default_turns,
                slot_minutes,
                closed_reason=f"closed on {WEEKDAY_NAMES[day.weekday()]}s",
                source="weekly",
            )
        else:
            services = tuple(
                sorted(
                    (
                        service_from_row(r, default_turns=default_turns, default_pacing=default_pacing)
                        for r in rows
                    ),
                    key=lambda s: (s.start, s.name),
                )
            )
            week = DaySchedule(day, services, default_turns, slot_minutes, source="weekly")
    else:
        week = DaySchedule(day, default_services, default_turns, slot_minutes, source="default")
    if not exceptions:
        return week
    note = "; ".join(dict.fromkeys(r.note for r in exceptions if r.note))
    if any(r.closed for r in exceptions):
        reason = f"closed on {day:%a %d %b %Y}" + (f" ({note})" if note else "")
        return DaySchedule(
            day, (), default_turns, slot_minutes, closed_reason=reason, source="exception", note=note
        )
    inherit = {s.name: s.turn_minutes for s in week.services}
    services = tuple(
        sorted(
            (
                service_from_row(
                    r, default_turns=default_turns, default_pacing=default_pacing, inherit_turns=inherit
                )
                for r in exceptions
            ),
            key=lambda s: (s.start, s.name),
        )
    )
    return DaySchedule(day, services, default_turns, slot_minutes, source="exception", note=note)
