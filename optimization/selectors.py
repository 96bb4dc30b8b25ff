"""The day as it is, read for the optimizer: a service day's bookings and live allocations as the engine's
requests, in a fixed, small number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from assignments.context import DAY_SPAN, elapsed_minutes, floor_state, request_for
from assignments.engine import Floor, Request
from assignments.models import Booking, BookingState, Restaurant, Table, TableAllocation

OPTIONAL_STATES = (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING)


@dataclass
class DayState:
    """The engine's view of one service day. Ids in the maps are the engine's booking ids (str(pk))."""

    restaurant: Restaurant
    day: date
    floor: Floor
    tables_by_label: dict[str, Table]
    bookings: dict[str, Booking]  # confirmed (seated) and optional ones
    requests: dict[str, Request]  # every booking above, plus the blockers
    current: dict[str, tuple[str, ...]]  # confirmed booking -> its tables now
    optional: set[str] = field(default_factory=set)  # review / pending bookings holding no tables
    blockers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # allocations not ours to move
    unseated_confirmed: list[int] = field(default_factory=list)  # confirmed but holding no table (data issue)

    def minute(self, moment: datetime) -> int:
        """The engine's frame (elapsed minutes from the day's local midnight), as request_for measures bookings."""
        return elapsed_minutes(self.restaurant, self.day, moment)


def _day_bookings(*, restaurant: Restaurant, day: date, states: Iterable[str]) -> list[Booking]:
    midnight = restaurant.local_midnight(day)
    qs = (
        Booking.objects.filter(
            restaurant=restaurant,
            start_at__gte=midnight,
            start_at__lt=midnight + DAY_SPAN,
            state__in=list(states),
        )
        .select_related("preferred_zone")
        .order_by("pk")
    )
    return [b for b in qs if restaurant.service_day_of(b.start_at) == day]


def day_plan_current(
    *, restaurant: Restaurant, day: date, include_optional: bool = True, exclude_booking_id: int | None = None
) -> DayState:
    """The confirmed bookings of the service day with their current tables, as engine requests (three
    queries, plus two when the floor changed): plus, with `include_optional`, the day's bookings in
    review or waiting for assignment that hold no tables, and every other live allocation overlapping
    the day as a blocker. `exclude_booking_id`'s own allocations and holds are ignored (it is being
    re-planned)."""
    fs = floor_state(restaurant=restaurant)
    states = [BookingState.CONFIRMED, *(OPTIONAL_STATES if include_optional else ())]
    bookings = {str(b.pk): b for b in _day_bookings(restaurant=restaurant, day=day, states=states)}
    midnight = restaurant.local_midnight(day)
    rows = list(
        TableAllocation.objects.filter(
            restaurant=restaurant, start_at__lt=midnight + DAY_SPAN, end_at__gt=midnight
        )
        .filter(
            Q(hold__isnull=True) | Q(hold__expires_at__gt=timezone.now())
        )  # bookings, table blocks, live holds
        .values_list(
            "table__label", "booking_id", "hold_id", "hold__booking_id", "start_at", "end_at", "block_id"
        )
        .order_by("booking_id", "hold_id", "block_id", "table__label")
    )
    tables_of: dict[str, list[str]] = {}
    blocker_rows: dict[str, list[tuple[str, datetime, datetime]]] = {}
    for label, booking_id, hold_id, hold_booking_id, start_at, end_at, block_id in rows:
        if exclude_booking_id is not None and exclude_booking_id in (booking_id, hold_booking_id):
            continue
        key = str(booking_id) if booking_id else None
        if key in bookings and bookings[key].state == BookingState.CONFIRMED:
            tables_of.setdefault(key, []).append(label)
        else:
            owner = f"b{booking_id}" if booking_id else f"h{hold_id}" if hold_id else f"k{block_id}"
            blocker_rows.setdefault(owner, []).append((label, start_at, end_at))
    state = DayState(
        restaurant=restaurant,
        day=day,
        floor=fs.floor,
        tables_by_label=fs.tables_by_label,
        bookings={},
        requests={},
        current={},
    )
    holding = {o[1:] for o in blocker_rows if o.startswith("b")}
    for key, b in bookings.items():
        if b.pk == exclude_booking_id:
            continue
        if b.state == BookingState.CONFIRMED:
            if key not in tables_of:
                state.unseated_confirmed.append(b.pk)
                continue
            state.current[key] = tuple(sorted(tables_of[key]))
        elif key in holding:
            continue  # it still holds tables (a modification in flight): the coordinator's, not ours
        else:
            state.optional.add(key)
        state.bookings[key] = b
        state.requests[key] = request_for(booking=b, restaurant=restaurant, day=day)
    # A blocker is pinned where it is: one pseudo-request per owner and window, seating nobody.
    for owner, items in blocker_rows.items():
        windows: dict[tuple[datetime, datetime], list[str]] = {}
        for label, start_at, end_at in items:
            windows.setdefault((start_at, end_at), []).append(label)
        for i, ((start_at, end_at), labels) in enumerate(sorted(windows.items())):
            key = f"x:{owner}:{i}"
            state.requests[key] = Request(key, 0, state.minute(start_at), state.minute(end_at))
            state.blockers[key] = tuple(sorted(labels))
    return state
