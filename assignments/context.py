"""Selectors that build the engine's input for one booking or one day, in a fixed, small number of queries.

The engine's clock is integer minutes from the local midnight of the booking's service day; a window
includes the restaurant's buffer.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import BigIntegerField, Func, Q
from django.utils import timezone

from assignments.caches import caches_register
from assignments.engine import DemandProfile, Engine, Floor, Occupancy, Request, TableSpec, Weights
from assignments.models import Booking, Restaurant, Table, TableAdjacency, TableAllocation

DAY_SPAN = timedelta(hours=30)  # a service day may run past midnight


@dataclass
class FloorState:
    """The floor as the engine sees it, plus the rows behind its table ids."""

    restaurant: Restaurant
    floor: Floor
    tables_by_label: dict[str, Table]


@dataclass
class AssignmentContext:
    booking: Booking
    restaurant: Restaurant
    day: date
    floor: Floor
    tables_by_label: dict[str, Table]
    request: Request
    occupancy: Occupancy
    current_tables: tuple[str, ...] = ()  # what the booking holds now (a modification keeps them if they fit)
    held_tables: tuple[str, ...] = ()  # what its live holds keep for it
    window: tuple[datetime, datetime] = field(default=(None, None))  # type: ignore[assignment]


class EpochSeconds(Func):
    """Whole seconds since the Unix epoch, computed by the database (cheaper than building datetimes)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)",
            **extra,
        )


_FLOORS: dict[int, tuple[tuple, FloorState]] = {}
caches_register(_FLOORS.clear, name="assignments.context._FLOORS")


def floor_state(*, restaurant: Restaurant) -> FloorState:
    """The restaurant's floor, cached in the process until its floor_version changes (every save or delete
    of a table, zone or adjacency bumps it); on a miss, two queries: tables with zones, and adjacency."""
    key = (restaurant.created_at, restaurant.floor_version, restaurant.max_combination_tables)
    hit = _FLOORS.get(restaurant.pk)
    if hit is not None and hit[0] == key:
        return hit[1]
    state = _load_floor_state(restaurant=restaurant)
    _FLOORS[restaurant.pk] = (key, state)
    return state


def _load_floor_state(*, restaurant: Restaurant) -> FloorState:
    tables = list(Table.objects.filter(restaurant=restaurant, active=True).select_related("zone"))
    by_pk = {t.pk: t for t in tables}
    edges = [
        (by_pk[a].label, by_pk[b].label)
        for a, b in TableAdjacency.objects.filter(restaurant=restaurant).values_list(
            "table_a_id", "table_b_id"
        )
        if a in by_pk and b in by_pk
    ]
    floor = Floor(
        tables=tuple(
            TableSpec(
                id=t.label,
                zone=t.zone.key,
                min_covers=t.min_covers,
                max_covers=t.max_covers,
                combinable=t.combinable,
                accessible=t.accessible,
            )
            for t in tables
        ),
        adjacency=tuple(edges),
        zone_priority={t.zone.key: t.zone.priority for t in tables},
        max_combination_tables=restaurant.max_combination_tables,
    )
    return FloorState(restaurant=restaurant, floor=floor, tables_by_label={t.label: t for t in tables})


_ENGINES: OrderedDict[tuple, Engine] = OrderedDict()
_ENGINE_CACHE_SIZE = 64
caches_register(_ENGINES.clear, name="assignments.context._ENGINES")


def engine_for(*, restaurant: Restaurant, floor: Floor, day: date | None = None) -> Engine:
    """An engine per floor + weights (+ the day's opening hours for its demand prior), reused across decisions
    (its candidate enumeration is the costly part)."""
    weights = json.dumps(
        restaurant.scoring_weights or {}, sort_keys=True
    )  # hashable, also with a 'demand' object
    demand_cfg = (restaurant.scoring_weights or {}).get("demand")
    prior = None if isinstance(demand_cfg, dict) else demand_prior(restaurant, day)
    hours = (prior.opens, prior.closes, prior.shortest_window) if prior is not None else None
    key = (restaurant.pk, floor.fingerprint, weights, hours)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = Engine(
            floor,
            weights=Weights.from_mapping(
                {k: v for k, v in (restaurant.scoring_weights or {}).items() if k != "demand"}
            ),
            demand=DemandProfile.from_mapping(demand_cfg) if prior is None else prior,
        )
        _ENGINES[key] = engine
        while len(_ENGINES) > _ENGINE_CACHE_SIZE:
            _ENGINES.popitem(last=False)
    else:
        _ENGINES.move_to_end(key)
    return engine


def demand_prior(restaurant: Restaurant, day: date | None = None) -> DemandProfile:
    """The generic demand prior told this restaurant's opening hours and shortest turn (never its bookings):
    the same prior the benchmark's engine replay uses, so the pipeline decides as the replay does. With a
    day, that day's schedule (a weekday or an exception of its own); without, the default hours."""
    base = DemandProfile()
    if day is not None:
        from assignments.selectors.schedule import restaurant_day_schedule

        schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
        if schedule.closed:
            return base
        return DemandProfile(
            party_mix=base.party_mix,
            hourly_mix=base.hourly_mix,
            intensity=base.intensity,
            shortest_window=schedule.shortest_turn() + restaurant.buffer_minutes,
            opens=schedule.opens,
            closes=schedule.closes,
        )
    periods = restaurant.periods
    turns = restaurant.turn_minutes or {}
    if not periods or not turns:
        return base
    return DemandProfile(
        party_mix=base.party_mix,
        hourly_mix=base.hourly_mix,
        intensity=base.intensity,
        shortest_window=min(int(v) for v in turns.values()) + restaurant.buffer_minutes,
        opens=min(p.start_minute for p in periods),
        closes=max(p.end_minute for p in periods),
        turns={p: restaurant.turn_for(p) + restaurant.buffer_minutes for p in base.party_mix},
    )


def to_minutes(restaurant: Restaurant, day: date, moment: datetime) -> int:
    return restaurant.minute_of_day(moment, day)


def from_minutes(restaurant: Restaurant, day: date, minute: int) -> datetime:
    return restaurant.local_midnight(day) + timedelta(minutes=minute)


def occupancy_for_day(
    *,
    restaurant: Restaurant,
    day: date,
    floor: Floor,
    include_holds: bool = True,
    exclude_booking_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Occupancy, list[dict]]:
    """One query: the day's allocations as per-table intervals. Expired holds are ignored at once;
    live holds count unless include_holds is False. Returns the occupancy and the rows it was built from."""
    now = now or timezone.now()
    midnight = restaurant.local_midnight(day)
    qs = TableAllocation.objects.filter(
        restaurant=restaurant, start_at__lt=midnight + DAY_SPAN, end_at__gt=midnight
    ).filter(Q(hold__isnull=True) | Q(hold__expires_at__gt=now))  # bookings, table blocks, live holds
    if not include_holds:
        qs = qs.filter(hold__isnull=True)
    rows = list(
        qs.annotate(start_s=EpochSeconds("start_at"), end_s=EpochSeconds("end_at")).values_list(
            "table__label", "booking_id", "hold_id", "hold__booking_id", "start_s", "end_s", "block_id"
        )
    )
    occupancy = Occupancy(floor)
    known = set(floor.table_ids)
    base = int(midnight.timestamp())
    for label, booking_id, hold_id, hold_booking_id, start_s, end_s, block_id in rows:
        if label not in known:
            continue
        if exclude_booking_id is not None and exclude_booking_id in (booking_id, hold_booking_id):
            continue
        ref = f"b{booking_id}" if booking_id else f"h{hold_id}" if hold_id else f"k{block_id}"
        occupancy.add([label], (start_s - base) // 60, (end_s - base) // 60, ref)
    return occupancy, [
        {"table__label": r[0], "booking_id": r[1], "hold_id": r[2], "hold__booking_id": r[3]} for r in rows
    ]


def elapsed_minutes(restaurant: Restaurant, day: date, moment: datetime) -> int:
    """Minutes of real time since the local midnight that begins `day`: the frame occupancy_for_day counts the
    tables' allocations in, so a request and the allocations overlap in it exactly when they do in time, also on
    the nights the clocks change (the wall clock, `to_minutes`, jumps an hour there: a request measured on it
    missed the allocations it really overlaps, and the writes that followed kept losing to the constraint)."""
    return int(moment.timestamp() - restaurant.local_midnight(day).timestamp()) // 60


def elapsed_moment(restaurant: Restaurant, day: date, minute: int) -> datetime:
    """The moment `minute` minutes of real time after the local midnight that begins `day`: the inverse of
    elapsed_minutes (from_minutes is the wall clock's)."""
    return restaurant.local_midnight(day).astimezone(UTC) + timedelta(minutes=minute)


def wall_to_elapsed(restaurant: Restaurant, day: date, minute: int) -> int:
    """A wall-clock minute of the day (the hours' frame) in the occupancy's elapsed frame; a minute the clocks go
    through twice is its first time, one they skip is read with the offset before the change."""
    return elapsed_minutes(restaurant, day, from_minutes(restaurant, day, minute))


def elapsed_to_wall(restaurant: Restaurant, day: date, minute: int) -> int:
    """An elapsed minute of the day as the wall clock reads it then (the hours' frame)."""
    return restaurant.minute_of_day(elapsed_moment(restaurant, day, minute), day)


def wall_minute_exists(restaurant: Restaurant, day: date, minute: int) -> bool:
    """Whether that wall-clock minute of the day happens at all (not in the hour the clocks skip that night)."""
    return restaurant.minute_of_day(from_minutes(restaurant, day, minute), day) == minute


def request_for(*, booking: Booking, restaurant: Restaurant, day: date) -> Request:
    end = booking.end_at + timedelta(minutes=restaurant.buffer_minutes)
    return Request(
        booking_id=str(booking.pk),
        party_size=booking.party_size,
        start=elapsed_minutes(restaurant, day, booking.start_at),
        end=elapsed_minutes(restaurant, day, end),
        preferred_zone=zone.key if (zone := booking.preferred_zone) is not None else None,
        accessible=booking.needs_accessible,
    )


def assignment_context(*, booking_id: int, include_holds: bool = True) -> AssignmentContext:
    """Two queries whatever the floor or the day: booking (+restaurant, zone) and the day's allocations
    (plus two for the floor when it changed since this process last loaded it)."""
    booking = Booking.objects.select_related("restaurant", "preferred_zone").get(pk=booking_id)
    restaurant = booking.restaurant
    state = floor_state(restaurant=restaurant)
    day = restaurant.service_day_of(booking.start_at)
    occupancy, rows = occupancy_for_day(
        restaurant=restaurant,
        day=day,
        floor=state.floor,
        include_holds=include_holds,
        exclude_booking_id=booking.pk,
    )
    current = tuple(sorted(r["table__label"] for r in rows if r["booking_id"] == booking.pk))
    held = tuple(sorted(r["table__label"] for r in rows if r["hold__booking_id"] == booking.pk))
    return AssignmentContext(
        booking=booking,
        restaurant=restaurant,
        day=day,
        floor=state.floor,
        tables_by_label=state.tables_by_label,
        request=request_for(booking=booking, restaurant=restaurant, day=day),
        occupancy=occupancy,
        current_tables=current,
        held_tables=held,
        window=restaurant.occupied_window(booking.start_at, booking.end_at),
    )
