"""Importing a scenario/v1 file into the database and exporting a restaurant's day back to one."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.text import slugify

from assignments.lifecycle import EVENT_FOR_STATE, outbox_event
from assignments.models import (
    Booking,
    BookingState,
    BookingStateHistory,
    Hold,
    OutboxEvent,
    Restaurant,
    Table,
    TableAdjacency,
    TableAllocation,
    Zone,
)
from assignments.scenario import FORMAT_TAG, Scenario, ScenarioError
from assignments.scenario_schedule import parse_schedule
from assignments.schedules import hhmm
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.selectors.schedule_export import schedule_document
from assignments.service_hours import turn_minutes_for
from assignments.services.schedule import schedule_replace
from assignments.signals import allocations_changed_on_commit

IMPORT_ACTOR = "import"
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # what Restaurant.slug (a SlugField) accepts


def restaurant_delete(*, restaurant: Restaurant) -> None:
    """Remove a restaurant with everything it owns (protected rows first)."""
    with transaction.atomic():
        TableAllocation.objects.filter(restaurant=restaurant).delete()
        Hold.objects.filter(restaurant=restaurant).delete()
        Booking.objects.filter(restaurant=restaurant).delete()
        OutboxEvent.objects.filter(restaurant_id=restaurant.pk).delete()
        TableAdjacency.objects.filter(restaurant=restaurant).delete()
        Table.objects.filter(restaurant=restaurant).delete()
        Zone.objects.filter(restaurant=restaurant).delete()
        restaurant.delete()


def _replaced_by(*, old: Restaurant, new: Restaurant) -> None:
    """Delete `old` with everything the file describes, after moving to `new` what says who may use the restaurant
    or hears from it: the rows of every model that sets `kept_when_restaurant_replaced` (tenancy's memberships, a
    platform's webhook subscriptions for it). A replace used to delete those with the restaurant, silently
    cutting its booking platforms and staff off."""
    for rel in Restaurant._meta.related_objects:
        if getattr(rel.related_model, "kept_when_restaurant_replaced", False):
            rel.related_model._default_manager.filter(**{rel.field.name: old}).update(**{rel.field.name: new})
    restaurant_delete(restaurant=old)


def scenario_tonight(*, scenario: Scenario, now: datetime | None = None) -> date:
    """Tonight's service day in the scenario restaurant's time zone: before the earliest service starts,
    a day whose service runs past midnight is still last night's."""
    local = (now or timezone.now()).astimezone(ZoneInfo(scenario.restaurant.timezone))
    periods = scenario.restaurant.service_periods
    crosses = any(p.end_minute > 24 * 60 for p in periods)
    if crosses and local.hour * 60 + local.minute < min(p.start_minute for p in periods):
        return local.date() - timedelta(days=1)
    return local.date()


def scenario_on_day(*, scenario: Scenario, day: date) -> Scenario:
    """The same scenario with its bookings moved to another service day (same local times)."""
    return dataclasses.replace(scenario, restaurant=dataclasses.replace(scenario.restaurant, date=day))


def restaurant_bookings_not_imported(*, restaurant: Restaurant):
    """Bookings of the restaurant that no scenario import created: made through the API or the admin."""
    imported = BookingStateHistory.objects.filter(transition="create", actor_label=IMPORT_ACTOR).values(
        "booking_id"
    )
    return Booking.objects.filter(restaurant=restaurant).exclude(pk__in=imported)


def _floor_signature(*, restaurant: Restaurant) -> tuple:
    zones = sorted(Zone.objects.filter(restaurant=restaurant).values_list("key", "name", "priority"))
    tables = sorted(
        Table.objects.filter(restaurant=restaurant).values_list(
            "label", "zone__key", "min_covers", "max_covers", "combinable", "accessible"
        )
    )
    edges = sorted(
        tuple(sorted(pair))
        for pair in TableAdjacency.objects.filter(restaurant=restaurant).values_list(
            "table_a__label", "table_b__label"
        )
    )
    return zones, tables, edges


def _scenario_floor_signature(scenario: Scenario) -> tuple:
    zones = sorted((z.id, z.name, z.priority) for z in scenario.zones)
    zone_of = {t.id: t.zone for t in scenario.tables}
    tables = sorted(
        (t.id, zone_of[t.id], t.min_covers, t.max_covers, t.combinable, t.accessible) for t in scenario.tables
    )
    edges = sorted(tuple(sorted(pair)) for pair in scenario.adjacency)
    return zones, tables, edges


def _imported_bookings_delete(*, restaurant: Restaurant) -> None:
    """Remove what an earlier import of this restaurant created (its bookings, their tables and holds),
    keeping every other booking with its tables."""
    others = restaurant_bookings_not_imported(restaurant=restaurant)
    imported = Booking.objects.filter(restaurant=restaurant).exclude(pk__in=others.values("pk"))
    ids = list(imported.values_list("pk", flat=True))
    if not ids:
        return
    span = TableAllocation.objects.filter(booking_id__in=ids).aggregate(
        start=Min("start_at"), end=Max("end_at")
    )
    TableAllocation.objects.filter(booking_id__in=ids).delete()
    TableAllocation.objects.filter(hold__booking_id__in=ids).delete()
    Hold.objects.filter(booking_id__in=ids).delete()
    OutboxEvent.objects.filter(aggregate_type="booking", aggregate_id__in=[str(i) for i in ids]).delete()
    Booking.objects.filter(pk__in=ids).delete()
    if span["start"] is not None:
        allocations_changed_on_commit(restaurant_id=restaurant.pk, start_at=span["start"], end_at=span["end"])


@transaction.atomic
def scenario_import(
    *,
    scenario: Scenario,
    replace: bool = False,
    slug: str | None = None,
    day: date | None = None,
    keep_other_bookings: bool = False,
) -> Restaurant:
    """Create the restaurant, zones, tables, adjacency and the day's bookings (as pending) in one
    transaction. The scenario's name becomes the restaurant's slug.

    `day` moves the bookings to that service day (the file's date otherwise). When the restaurant exists,
    `replace` deletes it with everything the file describes (floor, hours, bookings) but keeps who may use it, who
    hears from it and when its optimizer runs, moved to the new one; `keep_other_bookings` instead keeps it, its floor (which
    must equal the file's) and every booking no import created, and replaces only the imported bookings."""
    field = "slug" if slug else "name"
    slug = slug or slugify(scenario.name)
    if not slug:
        raise ScenarioError("name", "must contain letters or digits")
    if not SLUG.fullmatch(slug):
        raise ScenarioError(field, f"{slug!r} is not a slug: letters, digits, hyphens and underscores only")
    longest = Restaurant._meta.get_field("slug").max_length or 0
    if len(slug) > longest:
        raise ScenarioError(
            field, f"the slug {slug[:20]!r}... is {len(slug)} characters long; at most {longest}"
        )
    if day is not None:
        scenario = scenario_on_day(scenario=scenario, day=day)
    schedule = parse_schedule(scenario.extra["schedule"]) if "schedule" in scenario.extra else None
    existing = Restaurant.objects.select_for_update().filter(slug=slug).first()
    if existing is not None and keep_other_bookings:
        if _floor_signature(restaurant=existing) != _scenario_floor_signature(scenario):
            raise ScenarioError(
                "tables", f"restaurant {slug!r} has another floor than the file; its bookings cannot be kept"
            )
        _imported_bookings_delete(restaurant=existing)
        taken = set(
            Booking.objects.filter(
                restaurant=existing, external_ref__in=[b.id for b in scenario.bookings]
            ).values_list("external_ref", flat=True)
        )
        if taken:
            raise ScenarioError(
                "bookings",
                f"ids already used by kept bookings: {', '.join(sorted(str(t) for t in taken)[:5])}",
            )
        zones = {z.key: z for z in Zone.objects.filter(restaurant=existing)}
        if schedule is not None:
            _schedule_apply(scenario=scenario, restaurant=existing, schedule=schedule)
        _bookings_create(scenario=scenario, restaurant=existing, zones=zones)
        return existing
    if existing is not None and not replace:
        raise ScenarioError("name", f"restaurant {slug!r} already exists (use --replace)")
    r = scenario.restaurant
    restaurant = Restaurant.objects.create(
        name=r.name,
        slug=slug if existing is None else f"replacing-{uuid.uuid4().hex}",
        timezone=r.timezone,
        slot_minutes=r.slot_minutes,
        buffer_minutes=r.buffer_minutes,
        max_combination_tables=r.max_combination_tables,
        turn_minutes=dict(r.turn_minutes),
        service_periods=[{"name": p.name, "start": p.start, "end": p.end} for p in r.service_periods],
    )
    if existing is not None:
        _replaced_by(old=existing, new=restaurant)
        restaurant.slug = slug
        restaurant.save(update_fields=["slug"])
    zones = {
        z.id: Zone.objects.create(restaurant=restaurant, key=z.id, name=z.name, priority=z.priority)
        for z in scenario.zones
    }
    tables = {
        t.label: t
        for t in Table.objects.bulk_create(
            [
                Table(
                    restaurant=restaurant,
                    zone=zones[t.zone],
                    label=t.id,
                    min_covers=t.min_covers,
                    max_covers=t.max_covers,
                    combinable=t.combinable,
                    accessible=t.accessible,
                    position_x=i,
                )
                for i, t in enumerate(scenario.tables)
            ]
        )
    }
    edges = []
    for a, b in scenario.adjacency:
        ta, tb = sorted((tables[a], tables[b]), key=lambda t: t.pk)
        edges.append(TableAdjacency(restaurant=restaurant, table_a=ta, table_b=tb))
    TableAdjacency.objects.bulk_create(edges)
    if schedule is not None:
        _schedule_apply(scenario=scenario, restaurant=restaurant, schedule=schedule)
    _bookings_create(scenario=scenario, restaurant=restaurant, zones=zones)
    return restaurant


def _schedule_apply(*, scenario: Scenario, restaurant: Restaurant, schedule: dict) -> None:
    """Store the file's `schedule` key; the file's own day must agree with it (every booking of the day starts
    inside that day's services), else nothing is imported and the error names the booking."""
    schedule_replace(restaurant=restaurant, spec=schedule)
    for i, b in enumerate(scenario.bookings):
        refusal = restaurant.start_refusal(scenario.local_datetime(b.start_minute))
        if refusal is not None:
            raise ScenarioError(
                f"bookings[{i}].start",
                f"{b.id} at {b.start} on {scenario.restaurant.date}: under the file's schedule, {refusal}",
            )


def _bookings_create(*, scenario: Scenario, restaurant: Restaurant, zones: dict[str, Zone]) -> None:
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                restaurant=restaurant,
                external_ref=b.id,
                party_size=b.party_size,
                start_at=scenario.local_datetime(b.start_minute),
                service_date=restaurant.service_day_of(scenario.local_datetime(b.start_minute)),
                end_at=scenario.local_datetime(b.start_minute + b.duration_minutes),
                explicit_duration=b.explicit_duration,
                preferred_zone=zones[b.preferred_zone] if b.preferred_zone else None,
                needs_accessible=b.accessible,
                arrival=b.arrival,
                version=1,
            )
            for b in scenario.bookings
        ]
    )
    BookingStateHistory.objects.bulk_create(
        [
            BookingStateHistory(
                booking=b,
                from_state="",
                to_state=BookingState.PENDING,
                version=1,
                transition="create",
                actor_label=IMPORT_ACTOR,
                metadata={"scenario": scenario.name},
            )
            for b in bookings
        ]
    )
    OutboxEvent.objects.bulk_create(
        [
            outbox_event(
                booking=b,
                event_type=EVENT_FOR_STATE[BookingState.PENDING],
                from_state="",
                to_state=BookingState.PENDING,
            )
            for b in bookings
        ]
    )


def scenario_export(*, restaurant: Restaurant, day: date | None = None) -> dict:
    """The restaurant's floor and one service day's bookings (default: the day of its first booking), as a
    scenario/v1 document. Cancelled bookings are left out."""
    zones = list(Zone.objects.filter(restaurant=restaurant).order_by("priority", "id"))
    tables = list(
        Table.objects.filter(restaurant=restaurant).select_related("zone").order_by("position_x", "id")
    )
    edges = (
        TableAdjacency.objects.filter(restaurant=restaurant)
        .select_related("table_a", "table_b")
        .order_by("id")
    )
    bookings = list(
        Booking.objects.filter(restaurant=restaurant)
        .exclude(state=BookingState.CANCELLED)
        .select_related("preferred_zone")
        .order_by("id")
    )
    if day is None:
        day = restaurant.service_day_of(min(b.start_at for b in bookings)) if bookings else date.today()
    midnight = restaurant.local_midnight(day)
    # The document's day as scenario/v1 sees it: the restaurant's default hours, or that day's own (the
    # `schedule` key then spells every weekday out, so that a re-import gives every day the same hours).
    own = restaurant_day_schedule(restaurant=restaurant, day=day)
    if own.source == "default" or own.closed:
        periods, turns = list(restaurant.service_periods), dict(restaurant.turn_minutes)
    else:
        periods = [{"name": x.name, "start": hhmm(x.start), "end": hhmm(x.end)} for x in own.services]
        turns = dict(own.services[0].turn_minutes)
    rows = []
    for b in bookings:
        if restaurant.service_day_of(b.start_at) != day:
            continue
        local = b.start_at.astimezone(restaurant.tzinfo)
        minutes = int((b.end_at - b.start_at).total_seconds() // 60)
        implied = turn_minutes_for(turns, b.party_size)
        rows.append(
            {
                "id": b.external_ref or f"booking-{b.pk}",
                "party_size": b.party_size,
                "start": local.strftime("%H:%M"),
                "duration_minutes": minutes if b.explicit_duration or minutes != implied else None,
                "preferred_zone": b.preferred_zone.key if b.preferred_zone else None,
                "accessible": b.needs_accessible,
                "arrival": b.arrival
                if b.arrival is not None
                else int((b.created_at - midnight).total_seconds()) % 10**6,
            }
        )
    return {
        "format": FORMAT_TAG,
        "name": restaurant.slug,
        "restaurant": {
            "name": restaurant.name,
            "timezone": restaurant.timezone,
            "date": day.isoformat(),
            "slot_minutes": restaurant.slot_minutes,
            "buffer_minutes": restaurant.buffer_minutes,
            "max_combination_tables": restaurant.max_combination_tables,
            "turn_minutes": turns,
            "service_periods": periods,
        },
        "zones": [{"id": z.key, "name": z.name, "priority": z.priority} for z in zones],
        "tables": [
            {
                "id": t.label,
                "zone": t.zone.key,
                "min_covers": t.min_covers,
                "max_covers": t.max_covers,
                "combinable": t.combinable,
                "accessible": t.accessible,
            }
            for t in tables
        ],
        "adjacency": [[e.table_a.label, e.table_b.label] for e in edges],
        "bookings": rows,
        **(
            {"schedule": schedule}
            if (
                schedule := schedule_document(
                    restaurant=restaurant, materialise=own.source != "default" and not own.closed
                )
            )
            is not None
            else {}
        ),
    }
