"""Holds: tables kept for a booking window for a short while (a guest in the booking widget).

A hold takes its tables as TableAllocation rows under the same no-overlap rule as bookings, so two
racing holds on one table cannot both win. An expired hold is ignored by the engine and availability at
once (context filters by expires_at) and removed by holds_sweep_expired.

Holds belong to this app end to end (model, this service, `api/holds.py`, the `sweep_expired_holds` actor
and `sweep_holds` command): their allocations share the exclusion constraint with bookings' and the seating
service turns a booking's hold into its tables, so availability owning them would make assignments import
availability. Availability reads them; it learns of their changes through `signals.allocations_changed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assignments.conf import api_settings
from assignments.context import elapsed_minutes, engine_for, floor_state, occupancy_for_day
from assignments.engine import Request
from assignments.models import Booking, Hold, Restaurant, Table, TableAllocation
from assignments.services.allocations import AllocationConflict, allocations_create, allocations_release
from assignments.signals import allocations_changed_on_commit

HOLD_TTL_MIN_SECONDS = 10
HOLD_TTL_MAX_SECONDS = 900
HOLD_MAX_DURATION_MINUTES = 12 * 60


class HoldLimitReached(Exception):
    """The client has as many live holds as it may (api_settings.HOLDS_MAX_LIVE_PER_CLIENT)."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"You have {limit} live holds, the most a client may have; release or let one expire first"
        )


def hold_max_minutes(
    *, restaurant: Restaurant, party_size: int | None, start_at: datetime | None = None
) -> int:
    """A hold lasts no longer than the party's turn time that day (without a party: the day's longest turn)."""
    if party_size:
        return restaurant.turn_for(party_size, at=start_at)
    if start_at is not None:
        from assignments.selectors.schedule import schedule_at

        return schedule_at(restaurant=restaurant, moment=start_at)[0].longest_turn()
    return max(int(v) for v in restaurant.turn_minutes.values())


def _turn(*, restaurant: Restaurant, party_size: int | None, start_at: datetime) -> int:
    """The party's turn time on that day's schedule; without a party, the default of the service it starts in."""
    if party_size:
        return restaurant.turn_for(party_size, at=start_at)
    from assignments.selectors.schedule import schedule_at

    schedule, minute = schedule_at(restaurant=restaurant, moment=start_at)
    service = schedule.service_around(minute)
    return int((service.turn_minutes if service else schedule.turn_minutes)["default"])


class NoPlanAvailable(AllocationConflict):
    """No plan of the engine seats the party over that window."""

    def __init__(self, party_size: int, detail: str = ""):
        super().__init__([], detail or f"No free table or combination seats {party_size} at that time")


def _validate(
    *,
    restaurant: Restaurant,
    start_at: datetime,
    party_size: int | None,
    table_labels: Sequence[str] | None,
    ttl_seconds: int,
    duration_minutes: int | None,
    booking: Booking | None,
) -> tuple[int | None, list[Table]]:
    errors: dict[str, str] = {}
    if start_at.tzinfo is None:
        errors["start_at"] = "Must include a time zone."
    elif (refusal := restaurant.start_refusal(start_at)) is not None:
        errors["start_at"] = refusal[0].upper() + refusal[1:] + "."
    if not (HOLD_TTL_MIN_SECONDS <= ttl_seconds <= HOLD_TTL_MAX_SECONDS):
        errors["ttl_seconds"] = f"Must be between {HOLD_TTL_MIN_SECONDS} and {HOLD_TTL_MAX_SECONDS} seconds."
    if duration_minutes is not None and not (1 <= duration_minutes <= HOLD_MAX_DURATION_MINUTES):
        errors["duration_minutes"] = f"Must be between 1 and {HOLD_MAX_DURATION_MINUTES} minutes."
    if booking is not None:
        if booking.restaurant_id != restaurant.pk:
            errors["booking"] = "Belongs to another restaurant."
        elif party_size is None:
            party_size = booking.party_size
    if party_size is not None and party_size < 1:
        errors["party_size"] = "Must be at least 1."
    tables: list[Table] = []
    if table_labels is not None:
        labels = list(dict.fromkeys(table_labels))
        if not labels:
            errors["tables"] = "Give at least one table."
        else:
            found = {
                t.label: t for t in Table.objects.filter(restaurant=restaurant, label__in=labels, active=True)
            }
            unknown = [label for label in labels if label not in found]
            if unknown:
                errors["tables"] = f"Unknown or inactive tables: {', '.join(unknown)}."
            tables = [found[label] for label in sorted(found)]
            if len(labels) > restaurant.max_combination_tables:
                errors["tables"] = (
                    f"A hold is for one party: at most {restaurant.max_combination_tables} tables."
                )
    elif party_size is None:
        errors["party_size"] = "Give a party size or the tables to hold."
    if duration_minutes is not None and "duration_minutes" not in errors:
        longest = hold_max_minutes(
            restaurant=restaurant,
            party_size=party_size,
            start_at=start_at if "start_at" not in errors else None,
        )
        if duration_minutes > longest:
            errors["duration_minutes"] = f"At most the party's turn time, {longest} minutes."
    if errors:
        raise ValidationError(errors)
    return party_size, tables


def _check_client_limit(*, created_by) -> None:
    """Locks the client's user row so that two racing requests cannot both take the last place."""
    if created_by is None or getattr(created_by, "pk", None) is None:
        return
    limit = api_settings.HOLDS_MAX_LIVE_PER_CLIENT
    type(created_by).objects.select_for_update().filter(pk=created_by.pk).first()
    if Hold.objects.filter(created_by=created_by, expires_at__gt=timezone.now()).count() >= limit:
        raise HoldLimitReached(limit)


@transaction.atomic
def hold_create(
    *,
    restaurant: Restaurant,
    start_at: datetime,
    party_size: int | None = None,
    table_labels: Sequence[str] | None = None,
    ttl_seconds: int,
    duration_minutes: int | None = None,
    booking: Booking | None = None,
    created_by=None,
) -> Hold:
    """Hold the given tables, or the engine's best free plan for the party, over [start_at, start_at + turn
    (or duration) + buffer) for ttl_seconds. Raises ValidationError for bad input and AllocationConflict
    (NoPlanAvailable with a party size) when the tables are taken and HoldLimitReached when the client
    (created_by) has too many live holds; either way nothing is written. A hold starts inside a service
    period, lasts at most the party's turn time and takes at most max_combination_tables tables."""
    party_size, tables = _validate(
        restaurant=restaurant,
        start_at=start_at,
        party_size=party_size,
        table_labels=table_labels,
        ttl_seconds=ttl_seconds,
        duration_minutes=duration_minutes,
        booking=booking,
    )
    _check_client_limit(created_by=created_by)
    if duration_minutes is None:
        duration_minutes = _turn(restaurant=restaurant, party_size=party_size, start_at=start_at)
    start_at = start_at.astimezone(UTC)  # elapsed time, also on the night the clocks change
    end_at = start_at + timedelta(minutes=duration_minutes + restaurant.buffer_minutes)
    hold = Hold.objects.create(
        restaurant=restaurant,
        booking=booking,
        party_size=party_size,
        start_at=start_at,
        end_at=end_at,
        expires_at=timezone.now() + timedelta(seconds=ttl_seconds),
        created_by=created_by,
    )
    if tables:
        allocations_create(tables=tables, start_at=start_at, end_at=end_at, hold=hold)
        return hold
    assert party_size is not None  # _validate asks for a party size when no tables are given
    for plan_tables in _plans_for(restaurant=restaurant, hold=hold, party_size=party_size, booking=booking):
        try:
            allocations_create(tables=plan_tables, start_at=start_at, end_at=end_at, hold=hold)
            return hold
        except AllocationConflict:
            continue  # taken since we read the floor: the next plan
    raise NoPlanAvailable(party_size)


def _plans_for(
    *, restaurant: Restaurant, hold: Hold, party_size: int, booking: Booking | None
) -> list[list[Table]]:
    state = floor_state(restaurant=restaurant)
    day = restaurant.service_day_of(hold.start_at)
    engine = engine_for(restaurant=restaurant, floor=state.floor, day=day)
    occupancy, _rows = occupancy_for_day(
        restaurant=restaurant,
        day=day,
        floor=engine.floor,
        include_holds=True,
        exclude_booking_id=booking.pk if booking else None,
    )
    request = Request(
        booking_id=f"hold-{hold.pk}",
        party_size=party_size,
        start=elapsed_minutes(restaurant, day, hold.start_at),
        end=elapsed_minutes(restaurant, day, hold.end_at),
        preferred_zone=zone.key if booking and (zone := booking.preferred_zone) is not None else None,
        accessible=bool(booking and booking.needs_accessible),
    )
    decision = engine.decide(request, occupancy)
    return [[state.tables_by_label[label] for label in plan.tables] for plan in decision.plans]


def hold_tables(*, hold: Hold) -> list[str]:
    return sorted(TableAllocation.objects.filter(hold=hold).values_list("table__label", flat=True))


@transaction.atomic
def hold_release(*, hold: Hold) -> None:
    """Give the tables back and forget the hold."""
    allocations_release(hold=hold)
    Hold.objects.filter(pk=hold.pk).delete()


@transaction.atomic
def holds_release_for_booking(*, booking: Booking) -> list[str]:
    """Drop the booking's live holds and their allocations (the coordinator promotes a hold this way inside
    its confirm transaction) and return the tables they held. Expired holds of the booking go too."""
    now = timezone.now()
    holds = list(Hold.objects.select_for_update().filter(booking=booking).order_by("pk"))
    live = [h.pk for h in holds if h.expires_at > now]
    labels = (
        sorted(set(TableAllocation.objects.filter(hold_id__in=live).values_list("table__label", flat=True)))
        if live
        else []
    )
    for hold in holds:
        allocations_release(hold=hold)
    if holds:
        Hold.objects.filter(pk__in=[h.pk for h in holds]).delete()
    return labels


def holds_sweep_expired(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete expired holds and their allocations, in batches; returns how many holds went."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Hold.objects.select_for_update(skip_locked=True)
                .filter(expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "restaurant_id", "start_at", "end_at")[:batch_size]
            )
            if not batch:
                return total
            ids = [row[0] for row in batch]
            had_tables = set(
                TableAllocation.objects.filter(hold_id__in=ids).values_list("hold_id", flat=True)
            )
            TableAllocation.objects.filter(hold_id__in=ids).delete()
            Hold.objects.filter(pk__in=ids).delete()
            spans: dict[tuple[int, object], tuple[datetime, datetime]] = {}
            for pk, restaurant_id, start_at, end_at in batch:
                if pk not in had_tables:
                    continue
                key = (restaurant_id, start_at.date())
                lo, hi = spans.get(key, (start_at, end_at))
                spans[key] = (min(lo, start_at), max(hi, end_at))
            for (restaurant_id, _day), (lo, hi) in spans.items():
                allocations_changed_on_commit(restaurant_id=restaurant_id, start_at=lo, end_at=hi)
            total += len(batch)
        if len(batch) < batch_size:
            return total
