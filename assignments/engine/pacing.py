"""Pacing: how many covers (and bookings) a kitchen can take starting in one slot, and covers per service.

Pure: the day's services with their limits and the bookings already seated in, a yes or a sentence out. The
coordinator keeps one ledger per batch, next to its in-memory occupancy, so a batch is counted exactly;
availability asks the same ledger whether a slot is paced full.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _hhmm(minute: int) -> str:
    return f"{(minute // 60) % 24:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class PacingLimits:
    """None: no limit of that kind."""

    covers_per_slot: int | None = None
    bookings_per_slot: int | None = None
    covers_per_service: int | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None for v in (self.covers_per_slot, self.bookings_per_slot, self.covers_per_service)
        )

    def over(self, fallback: PacingLimits) -> PacingLimits:
        """These limits, each unset one taken from `fallback` (a service's own over the restaurant's)."""
        return PacingLimits(
            covers_per_slot=self.covers_per_slot
            if self.covers_per_slot is not None
            else fallback.covers_per_slot,
            bookings_per_slot=(
                self.bookings_per_slot if self.bookings_per_slot is not None else fallback.bookings_per_slot
            ),
            covers_per_service=(
                self.covers_per_service
                if self.covers_per_service is not None
                else fallback.covers_per_service
            ),
        )


@dataclass(frozen=True, slots=True)
class PacedService:
    name: str
    start: int
    end: int
    limits: PacingLimits


class PacingLedger:
    """Covers and bookings starting per slot and per service, by booking ref. Slots are slot_minutes steps from
    their service's start (the availability grid); a start outside every service is not paced."""

    __slots__ = ("services", "slot_minutes", "_entries", "_slot_covers", "_slot_bookings", "_service_covers")

    def __init__(self, services: Sequence[PacedService], slot_minutes: int):
        self.services = tuple(services)
        self.slot_minutes = max(1, int(slot_minutes))
        self._entries: dict[str, tuple[int, int]] = {}
        self._slot_covers: dict[int, int] = {}
        self._slot_bookings: dict[int, int] = {}
        self._service_covers: dict[int, int] = {}

    @property
    def active(self) -> bool:
        return any(s.limits.active for s in self.services)

    def _service(self, start: int) -> int | None:
        for i, s in enumerate(self.services):
            if s.start <= start < s.end:
                return i
        return None

    def _slot(self, i: int, start: int) -> int:
        first = self.services[i].start
        return first + (start - first) // self.slot_minutes * self.slot_minutes

    def slot_of(self, start: int) -> int | None:
        """The start of the slot `start` falls in (None: outside every service)."""
        i = self._service(start)
        return None if i is None else self._slot(i, start)

    def add(self, ref: str, start: int, covers: int) -> None:
        if ref in self._entries:
            self.remove(ref)
        self._entries[ref] = (start, covers)
        i = self._service(start)
        if i is None:
            return
        slot = self._slot(i, start)
        self._slot_covers[slot] = self._slot_covers.get(slot, 0) + covers
        self._slot_bookings[slot] = self._slot_bookings.get(slot, 0) + 1
        self._service_covers[i] = self._service_covers.get(i, 0) + covers

    def add_many(self, rows: Iterable[tuple[str, int, int]]) -> None:
        for ref, start, covers in rows:
            self.add(ref, start, covers)

    def remove(self, ref: str) -> tuple[int, int] | None:
        """Forget a booking; returns its (start, covers) so that it can be put back."""
        entry = self._entries.pop(ref, None)
        if entry is None:
            return None
        start, covers = entry
        i = self._service(start)
        if i is not None:
            slot = self._slot(i, start)
            self._slot_covers[slot] -= covers
            self._slot_bookings[slot] -= 1
            self._service_covers[i] -= covers
        return entry

    def __contains__(self, ref: str) -> bool:
        return ref in self._entries

    def covers_starting(self, start: int) -> int:
        i = self._service(start)
        return self._slot_covers.get(self._slot(i, start), 0) if i is not None else 0

    def refusal(self, start: int, covers: int) -> str | None:
        """Why a party of `covers` may not start at `start` without breaking pacing, or None when it may."""
        i = self._service(start)
        if i is None:
            return None
        service = self.services[i]
        limits = service.limits
        slot = self._slot(i, start)
        when = _hhmm(slot)
        have = self._slot_covers.get(slot, 0)
        if limits.covers_per_slot is not None and have + covers > limits.covers_per_slot:
            return f"pacing: {when} already has {have} of {limits.covers_per_slot} covers starting" + (
                f"; a party of {covers} would make {have + covers}" if have < limits.covers_per_slot else ""
            )
        count = self._slot_bookings.get(slot, 0)
        if limits.bookings_per_slot is not None and count + 1 > limits.bookings_per_slot:
            return f"pacing: {when} already has {count} of {limits.bookings_per_slot} bookings starting"
        total = self._service_covers.get(i, 0)
        if limits.covers_per_service is not None and total + covers > limits.covers_per_service:
            name = service.name or "the service"
            return f"pacing: {name} already has {total} of {limits.covers_per_service} covers" + (
                f"; a party of {covers} would make {total + covers}"
                if total < limits.covers_per_service
                else ""
            )
        return None

    def room(self, start: int) -> int | None:
        """The largest party that may still start at `start` (None: no limit; 0: paced full)."""
        i = self._service(start)
        if i is None:
            return None
        limits = self.services[i].limits
        slot = self._slot(i, start)
        caps = []
        if (
            limits.bookings_per_slot is not None
            and self._slot_bookings.get(slot, 0) >= limits.bookings_per_slot
        ):
            return 0
        if limits.covers_per_slot is not None:
            caps.append(limits.covers_per_slot - self._slot_covers.get(slot, 0))
        if limits.covers_per_service is not None:
            caps.append(limits.covers_per_service - self._service_covers.get(i, 0))
        return max(0, min(caps)) if caps else None
