"""The day optimizer: applies a plan only when >= 10% better, never moves frozen bookings, all or nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from assignments import lifecycle
from assignments.engine import Floor, Request, TableSpec
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
    TableAllocation,
)
from assignments.services.allocations import allocations_create
from assignments.services.seating import TABLES_CHANGED
from optimization.day_optimizer import day_optimize, day_plan_apply, day_plan_compute
from optimization.selectors import day_plan_current
from optimization.solver.model import solve_day_plan
from tests.factories import DAY, DAY_ISO, FloorFactory, at, make_booking

EARLY = at("12:00")  # long before anything is frozen


def seat(restaurant, tables, *, party_size=2, start="19:00", **kw) -> Booking:
    """A confirmed booking at exactly `tables`, as the coordinator would leave it."""
    b = make_booking(restaurant, party_size=party_size, start=start, **kw)
    with transaction.atomic():
        lifecycle.booking_request_assignment(booking=b)
        by_label = {t.label: t for t in restaurant.tables.all()}
        allocations_create(
            tables=[by_label[t] for t in tables],
            start_at=b.start_at,
            end_at=b.end_at + timedelta(minutes=restaurant.buffer_minutes),
            booking=b,
        )
        lifecycle.booking_confirm(booking=b, tables=list(tables), strategy="test")
    return b


def in_review(restaurant, *, party_size=2, start="19:00", **kw) -> Booking:
    b = make_booking(restaurant, party_size=party_size, start=start, **kw)
    lifecycle.booking_request_assignment(booking=b)
    lifecycle.booking_send_to_review(booking=b, reason="no plan")
    return b


def tables_of(b: Booking) -> tuple[str, ...]:
    return tuple(sorted(TableAllocation.objects.filter(booking=b).values_list("table__label", flat=True)))


def snapshot() -> tuple:
    """Everything the optimizer could write."""
    return (
        sorted(TableAllocation.objects.values_list("booking_id", "table__label", "start_at", "end_at")),
        sorted(Booking.objects.values_list("pk", "state", "version")),
        BookingStateHistory.objects.count(),
        BookingAssignmentAttempt.objects.count(),
        OutboxEvent.objects.count(),
    )


def overlaps() -> int:
    """Pairs of allocations of one table that overlap in time (must always be 0)."""
    table = TableAllocation._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM {table} a JOIN {table} b ON a.table_id = b.table_id AND a.id < b.id "
            "AND a.start_at < b.end_at AND b.start_at < a.end_at"
        )
        return cur.fetchone()[0]


@pytest.fixture
def blocked_eight(db):
    """M2 holds a couple that would fit M1; a party of 8 in review needs M2+M3 at the same time."""
    r = FloorFactory.small()
    couple = seat(r, ["M2"], party_size=2)
    four = seat(r, ["T1"], party_size=4)
    eight = in_review(r, party_size=8)
    return r, couple, four, eight


# -- the pure model ----------------------------------------------------------------------------------


def test_solve_day_plan_covers_then_cost_then_moves():
    floor = Floor(
        tables=(
            TableSpec("A", "main", 1, 2, False, False),
            TableSpec("B", "main", 1, 4, False, False),
            TableSpec("C", "main", 1, 4, False, False),
        ),
        adjacency=(),
        zone_priority={"main": 1},
    )
    reqs = [Request("two", 2, 0, 100), Request("four", 4, 0, 100), Request("four2", 4, 0, 100)]
    cost = lambda r, tables: sum(floor.table_by_id[t].max_covers for t in tables) - r.party_size  # noqa: E731
    sol = solve_day_plan(floor, reqs, current={"two": ("B",), "four": ("C",)}, optional={"four2"}, cost=cost)
    assert sol.status == "OPTIMAL"
    assert sol.covers == 10
    assert sol.assignment["two"] == ("A",)  # the snug seat, so the optional party of 4 fits
    assert sol.moved == 1  # "four" stays on C: moving it to B would cost a move for nothing


# -- the service ---------------------------------------------------------------------------------


def test_day_plan_current_lists_confirmed_with_tables_and_optional(blocked_eight):
    r, couple, four, eight = blocked_eight
    state = day_plan_current(restaurant=r, day=DAY)
    assert state.current == {str(couple.pk): ("M2",), str(four.pk): ("T1",)}
    assert state.optional == {str(eight.pk)}
    assert state.requests[str(eight.pk)].party_size == 8


def test_better_plan_is_applied(blocked_eight):
    r, couple, four, eight = blocked_eight
    history_before = BookingStateHistory.objects.filter(booking=couple).count()
    result = day_optimize(restaurant=r, day=DAY, now=EARLY, time_limit=5)
    assert result.status == "applied", result.reason
    assert (result.covers_before, result.covers_after) == (6, 14)
    assert result.score_after >= result.score_before * 1.10
    assert (result.moved, result.newly_seated) == (1, 1)
    assert tables_of(couple) == ("M1",)
    assert tables_of(four) == ("T1",)
    assert tables_of(eight) == ("M2", "M3")
    eight.refresh_from_db()
    assert eight.state == BookingState.CONFIRMED and eight.assignment_strategy == "day_optimizer"
    last = BookingStateHistory.objects.filter(booking=eight).order_by("-version").first()
    assert (last.from_state, last.to_state, last.version) == ("manual_review", "confirmed", eight.version)
    # The moved booking changes no state: no history row, one attempt, one tables_changed event.
    assert BookingStateHistory.objects.filter(booking=couple).count() == history_before
    attempt = BookingAssignmentAttempt.objects.get(booking=couple, strategy="day_optimizer")
    assert attempt.metadata["from_tables"] == ["M2"] and attempt.metadata["tables"] == ["M1"]
    event = OutboxEvent.objects.get(aggregate_id=str(couple.pk), event_type=TABLES_CHANGED)
    assert event.payload["from_tables"] == ["M2"] and event.payload["tables"] == ["M1"]
    assert OutboxEvent.objects.filter(aggregate_id=str(eight.pk), event_type="booking.confirmed").count() == 1
    assert BookingAssignmentAttempt.objects.filter(booking=eight, strategy="day_optimizer").count() == 1
    assert overlaps() == 0
    # Run again: nothing left to gain, nothing written.
    before = snapshot()
    assert day_optimize(restaurant=r, day=DAY, now=EARLY, time_limit=5).status == "unchanged"
    assert snapshot() == before


def test_small_improvement_writes_nothing(db):
    r = FloorFactory.small()
    for start in ("16:45", "19:00", "21:15"):
        seat(r, ["M2"], party_size=4, start=start)
        seat(r, ["M3"], party_size=4, start=start)
        seat(r, ["T1"], party_size=6, start=start)
    in_review(r, party_size=2, start="19:00")  # fits M1: +2 covers on 42, under 10%
    before = snapshot()
    result = day_optimize(restaurant=r, day=DAY, now=EARLY, time_limit=5)
    assert result.status == "below_threshold", result.reason
    assert result.covers_after == result.covers_before + 2
    assert 0 < result.improvement < 0.10
    assert snapshot() == before
    # The same plan clears a lower bar.
    assert (
        day_optimize(restaurant=r, day=DAY, now=EARLY, min_improvement=0.01, time_limit=5).status == "applied"
    )
    assert overlaps() == 0


def test_frozen_bookings_never_move(blocked_eight):
    r, couple, four, eight = blocked_eight
    before = snapshot()
    # At 18:30 the 19:00 couple is inside the 60-minute freeze window: it keeps M2, the 8 cannot sit.
    result = day_optimize(restaurant=r, day=DAY, now=at("18:30"), time_limit=5)
    assert result.frozen == 2
    assert result.status == "unchanged", result.reason
    assert snapshot() == before
    assert tables_of(couple) == ("M2",)


def test_frozen_booking_pinned_while_a_later_one_moves(db):
    r = FloorFactory.small()
    early = seat(r, ["M2"], party_size=2, start="18:00")  # frozen at 17:30
    late = seat(r, ["M2"], party_size=2, start="21:00")  # movable
    eight = in_review(r, party_size=8, start="21:00")
    result = day_optimize(restaurant=r, day=DAY, now=at("17:30"), time_limit=5)
    assert result.status == "applied", result.reason
    assert tables_of(early) == ("M2",)
    assert tables_of(late) == ("M1",)
    assert tables_of(eight) == ("M2", "M3")
    assert overlaps() == 0


def test_version_bump_between_plan_and_apply_aborts(blocked_eight):
    r, couple, four, eight = blocked_eight
    plan = day_plan_compute(restaurant=r, day=DAY, now=EARLY, time_limit=5)
    assert plan.moves and plan.seated
    lifecycle.booking_request_assignment(booking=Booking.objects.get(pk=couple.pk), trigger="modification")
    before = snapshot()
    from assignments.reseating import PlanStale

    with pytest.raises(PlanStale):
        day_plan_apply(plan=plan)
    assert snapshot() == before


def test_dry_run_writes_nothing(blocked_eight):
    r, couple, four, eight = blocked_eight
    before = snapshot()
    out = StringIO()
    call_command(
        "optimize_day",
        r.slug,
        "--date",
        DAY.isoformat(),
        "--dry-run",
        "--now",
        f"{DAY_ISO}T12:00",
        "--time-limit",
        "5",
        stdout=out,
    )
    text = out.getvalue()
    assert "dry run" in text and "6 -> 14" in text and "applied" in text
    assert snapshot() == before


def test_command_applies_and_summarises(blocked_eight):
    r, couple, four, eight = blocked_eight
    out = StringIO()
    call_command(
        "optimize_day",
        r.slug,
        "--date",
        DAY.isoformat(),
        "--now",
        f"{DAY_ISO}T12:00",
        "--time-limit",
        "5",
        stdout=out,
    )
    assert "yes (improvement" in out.getvalue()
    assert tables_of(eight) == ("M2", "M3")


def test_actor_runs_the_service(blocked_eight):
    from optimization.tasks import optimize_day_actor

    r, couple, four, eight = blocked_eight
    # The actor's clock is the real one; the test day is in the future, so nothing is frozen.
    optimize_day_actor(r.pk, DAY.isoformat())
    eight.refresh_from_db()
    assert eight.state == BookingState.CONFIRMED


# -- real Postgres: a concurrent writer, and the exclusion constraint ------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_change_during_apply_aborts_and_writes_nothing():
    """Another transaction locks and changes a booking the plan moves; apply waits on the row lock, then
    sees the new version and writes nothing."""
    r = FloorFactory.small()
    couple = seat(r, ["M2"], party_size=2)
    seat(r, ["T1"], party_size=4)
    eight = in_review(r, party_size=8)
    plan = day_plan_compute(restaurant=r, day=DAY, now=EARLY, time_limit=5)
    assert str(couple.pk) in plan.moves
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def other_writer():
        try:
            with transaction.atomic():
                b = Booking.objects.select_for_update().get(pk=couple.pk)
                lifecycle.booking_request_assignment(booking=b, trigger="modification")
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def optimizer():
        try:
            day_plan_apply(plan=plan)
            outcome["result"] = "applied"
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["result"] = exc
        finally:
            connections.close_all()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert locked.wait(10)
    applier = threading.Thread(target=optimizer)
    applier.start()
    applier.join(0.5)
    assert applier.is_alive()  # waiting on the row lock
    release.set()
    writer.join(10)
    applier.join(10)
    from assignments.reseating import PlanStale

    assert isinstance(outcome["result"], PlanStale)
    assert tables_of(couple) == ("M2",)
    assert OutboxEvent.objects.filter(event_type=TABLES_CHANGED).count() == 0
    assert Booking.objects.get(pk=eight.pk).state == BookingState.MANUAL_REVIEW
    assert not TableAllocation.objects.filter(booking=eight).exists()
    assert not OutboxEvent.objects.filter(aggregate_id=str(eight.pk), event_type="booking.confirmed").exists()
    assert not BookingAssignmentAttempt.objects.filter(strategy="day_optimizer").exists()


@pytest.mark.postgres
def test_exclusion_constraint_is_the_last_guard(blocked_eight):
    """A table taken after the plan was made (by a booking the plan does not know) makes apply fail whole."""
    r, couple, four, eight = blocked_eight
    plan = day_plan_compute(restaurant=r, day=DAY, now=EARLY, time_limit=5)
    intruder = seat(r, ["M1"], party_size=2, start="19:30")  # the plan moves the couple onto M1
    before = snapshot()
    result_exc = None
    from assignments.services.allocations import AllocationConflict

    try:
        day_plan_apply(plan=plan)
    except AllocationConflict as exc:
        result_exc = exc
    assert result_exc is not None
    assert snapshot() == before
    assert tables_of(intruder) == ("M1",) and tables_of(couple) == ("M2",)
    assert overlaps() == 0
