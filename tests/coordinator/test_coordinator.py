"""The coordinator on the real backends: every path ends confirmed, manual_review, failed or a scheduled retry."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection

from assignments import coordinator, flags
from assignments.coordinator import Status
from assignments.locks import RedisLockManager, booking_lock, set_lock_manager
from assignments.models import (
    AttemptResult,
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
    TableAllocation,
)
from assignments.services.pipeline import booking_submit_for_assignment
from tests.coordinator.conftest import wait_until
from tests.factories import make_booking


def submitted(restaurant, **kwargs) -> Booking:
    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking, trigger="creation", correlation_id=f"corr-{booking.pk}")
    return booking


def run(booking, retries, **kwargs):
    return coordinator.process_booking(booking_id=booking.pk, correlation_id=f"corr-{booking.pk}", schedule=retries, **kwargs)


def dead_redis_lock_manager() -> RedisLockManager:
    return RedisLockManager(client=redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2))


@pytest.mark.django_db
def test_confirms_with_tables_history_attempts_and_event(restaurant, retries):
    booking = submitted(restaurant, party_size=2)

    outcome = run(booking, retries)

    booking.refresh_from_db()
    assert outcome.status == Status.CONFIRMED and booking.state == BookingState.CONFIRMED
    assert sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True)) == list(outcome.tables)
    assert booking.assignment_attempts == 1 and booking.assigned_at and booking.assignment_strategy == outcome.strategy
    attempts = BookingAssignmentAttempt.objects.filter(booking=booking)
    assert attempts.filter(result=AttemptResult.SUCCESS).count() >= 1
    assert attempts.count() >= 5  # one row per strategy's outcome
    assert all(a.correlation_id == f"corr-{booking.pk}" for a in attempts)
    event = OutboxEvent.objects.filter(aggregate_id=str(booking.pk), event_type="booking.confirmed").get()
    assert event.payload["tables"] == list(outcome.tables) and event.correlation_id == f"corr-{booking.pk}"
    assert retries == []


@pytest.mark.django_db
def test_duplicate_processing_gives_one_confirmation(restaurant, retries):
    booking = submitted(restaurant)

    first, second = run(booking, retries), run(booking, retries)

    assert (first.status, second.status) == (Status.CONFIRMED, Status.SKIPPED)
    assert BookingStateHistory.objects.filter(booking=booking, to_state=BookingState.CONFIRMED).count() == 1
    assert TableAllocation.objects.filter(booking=booking).count() == len(first.tables)


@pytest.mark.django_db
def test_lock_held_elsewhere_means_retry_not_work(restaurant, retries):
    booking = submitted(restaurant)
    with booking_lock(booking.pk) as held:
        assert held.acquired
        outcome = run(booking, retries)
    assert outcome.status == Status.RETRY_SCHEDULED and "lock held" in outcome.reason
    assert Booking.objects.get(pk=booking.pk).state == BookingState.ASSIGNMENT_PENDING
    assert len(retries) == 1 and retries[0]["booking_id"] == booking.pk


@pytest.mark.django_db
def test_full_floor_retries_with_backoff_then_manual_review(restaurant, retries, django_capture_on_commit_callbacks):
    restaurant.max_assignment_attempts = 3
    restaurant.save()
    assert run(submitted(restaurant, party_size=7), retries).status == Status.CONFIRMED  # takes M2+M3
    booking = submitted(restaurant, party_size=7)  # only M2+M3 seat seven

    outcomes = []
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(run(booking, retries, retry_no=i))

    assert [o.status for o in outcomes] == [Status.RETRY_SCHEDULED, Status.RETRY_SCHEDULED, Status.MANUAL_REVIEW]
    assert [r["delay_ms"] for r in retries] == [coordinator.backoff_ms(1), coordinator.backoff_ms(2)]
    booking.refresh_from_db()
    assert booking.state == BookingState.MANUAL_REVIEW and booking.assignment_attempts == 3
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert "after 3 attempt" in last.metadata["reason"]
    assert OutboxEvent.objects.filter(aggregate_id=str(booking.pk), event_type="booking.manual_review").exists()
    assert BookingAssignmentAttempt.objects.filter(booking=booking, result=AttemptResult.NO_PLAN).exists()


@pytest.mark.django_db
def test_a_party_no_plan_could_ever_seat_goes_to_review_at_once(restaurant, retries):
    booking = submitted(restaurant, party_size=40)

    outcome = run(booking, retries)

    assert outcome.status == Status.MANUAL_REVIEW and "seats 40" in outcome.reason
    assert retries == [] and Booking.objects.get(pk=booking.pk).assignment_attempts == 1


@pytest.mark.django_db
def test_a_table_change_reaches_the_next_decision(restaurant, retries):
    from assignments.context import assignment_context

    booking = submitted(restaurant, party_size=2)
    assert "M1" in assignment_context(booking_id=booking.pk).floor.table_by_id  # cached now
    restaurant.tables.filter(label="M1").get().delete()
    assert "M1" not in assignment_context(booking_id=booking.pk).floor.table_by_id


@pytest.mark.django_db
def test_cancelled_while_queued_emits_booking_failed(restaurant, retries):
    from assignments import lifecycle

    booking = submitted(restaurant)
    lifecycle.booking_cancel(booking=booking, reason="guest called")

    outcome = run(booking, retries)

    assert outcome.status == Status.FAILED
    assert OutboxEvent.objects.filter(aggregate_id=str(booking.pk), event_type="booking.failed").count() == 1
    assert not TableAllocation.objects.filter(booking=booking).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancelled_mid_process_emits_booking_failed_and_keeps_no_tables(restaurant, retries, monkeypatch):
    from assignments import lifecycle
    from assignments.services import allocations

    booking = submitted(restaurant)
    real_create = allocations.allocations_create

    def cancel_from_another_connection_first(**kwargs):
        def cancel():
            lifecycle.booking_cancel(booking=Booking.objects.get(pk=booking.pk), reason="guest called")
            connection.close()

        t = threading.Thread(target=cancel)
        t.start()
        t.join()
        return real_create(**kwargs)

    monkeypatch.setattr(coordinator, "allocations_create", cancel_from_another_connection_first)

    outcome = run(booking, retries)

    assert outcome.status == Status.FAILED and outcome.reason == "cancelled mid-process"
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CANCELLED
    assert not TableAllocation.objects.filter(booking=booking).exists()
    assert OutboxEvent.objects.filter(aggregate_id=str(booking.pk), event_type="booking.failed").count() == 1


@pytest.mark.django_db
def test_redis_unreachable_means_no_lock_and_a_scheduled_retry(restaurant, retries):
    booking = submitted(restaurant)
    set_lock_manager(dead_redis_lock_manager())

    outcome = run(booking, retries)

    assert outcome.status == Status.RETRY_SCHEDULED and "lock store unavailable" in outcome.reason
    assert Booking.objects.get(pk=booking.pk).state == BookingState.ASSIGNMENT_PENDING  # nothing lost
    assert len(retries) == 1

    set_lock_manager(None)  # Redis is back
    assert run(booking, retries, retry_no=1).status == Status.CONFIRMED


@pytest.mark.django_db
def test_breaker_opens_after_repeated_failures_and_closes_after_recovery(restaurant, retries, settings):
    settings.MAITRE = {**settings.MAITRE, "BREAKER_FAIL_MAX": 3, "BREAKER_RESET_SECONDS": 1.0}
    from assignments.resilience import assignment_breaker, reset_resilience

    reset_resilience()
    booking = submitted(restaurant)
    dead = dead_redis_lock_manager()
    set_lock_manager(dead)

    reasons = [run(booking, retries).reason for _ in range(4)]

    # pybreaker raises CircuitBreakerError on the call that trips it (the third failure)
    assert reasons == ["lock store unavailable"] * 2 + ["circuit breaker open"] * 2
    assert assignment_breaker().current_state == "open"

    set_lock_manager(None)
    time.sleep(1.1)
    assert run(booking, retries).status == Status.CONFIRMED
    assert assignment_breaker().current_state == "closed"


@pytest.mark.django_db
def test_rate_limit_per_restaurant_defers_the_excess(restaurant, retries, settings):
    settings.MAITRE = {**settings.MAITRE, "RATE_LIMIT_PER_RESTAURANT": 1, "RATE_LIMIT_WINDOW_MS": 1000}
    first, second = submitted(restaurant), submitted(restaurant, start="20:30")

    assert run(first, retries).status == Status.CONFIRMED
    outcome = run(second, retries)

    assert outcome.status == Status.RETRY_SCHEDULED and outcome.reason == "rate limited"
    assert Booking.objects.get(pk=second.pk).state == BookingState.ASSIGNMENT_PENDING


@pytest.mark.django_db
def test_bookings_competing_for_the_last_table(restaurant, retries, django_capture_on_commit_callbacks):
    """Both parties of seven can only sit at M2+M3; the first gets it, the second has no plan and retries."""
    a, b = submitted(restaurant, party_size=7), submitted(restaurant, party_size=7)
    assert run(a, retries).status == Status.CONFIRMED
    with django_capture_on_commit_callbacks(execute=True):
        outcome = run(b, retries)
    assert outcome.status == Status.RETRY_SCHEDULED and [r["booking_id"] for r in retries] == [b.pk]
    assert Booking.objects.get(pk=b.pk).state == BookingState.ASSIGNMENT_PENDING


@pytest.mark.django_db
def test_conflict_on_a_plan_moves_to_the_next_plan(restaurant, retries, monkeypatch):
    """Someone else takes the engine's first choice between the decision and the write."""
    from assignments.services.allocations import allocations_create as real_create

    booking = submitted(restaurant, party_size=2)
    rival = make_booking(restaurant, party_size=2)
    taken = {}

    def rival_takes_it_first(*, tables, start_at, end_at, booking=None, hold=None):
        if not taken:
            taken["tables"] = [t.label for t in tables]
            real_create(tables=tables, start_at=start_at, end_at=end_at, booking=rival)
        return real_create(tables=tables, start_at=start_at, end_at=end_at, booking=booking, hold=hold)

    monkeypatch.setattr(coordinator, "allocations_create", rival_takes_it_first)
    outcome = run(booking, retries)

    assert outcome.status == Status.CONFIRMED and outcome.plans_tried == 2
    assert list(outcome.tables) != taken["tables"]
    assert BookingAssignmentAttempt.objects.filter(booking=booking, result=AttemptResult.CONFLICT).count() == 1


@pytest.mark.django_db
def test_modification_keeps_its_tables_when_they_still_fit(restaurant, retries):
    from assignments.services.bookings import booking_modify

    booking = submitted(restaurant, party_size=2)
    first = run(booking, retries)
    booking.refresh_from_db()
    booking_modify(booking=booking, party_size=1)
    booking.refresh_from_db()
    assert booking.state == BookingState.ASSIGNMENT_PENDING

    second = coordinator.process_booking(booking_id=booking.pk, trigger="modification", schedule=retries)

    assert second.status == Status.CONFIRMED and second.tables == first.tables


@pytest.mark.django_db
def test_gate_off_uses_the_legacy_assigner_through_the_state_machine(restaurant, retries):
    flags.flags_set(pipeline_v3=False)
    booking = submitted(restaurant)
    outcome = run(booking, retries)
    assert outcome.status == Status.CONFIRMED and outcome.strategy == coordinator.LEGACY
    assert BookingStateHistory.objects.filter(booking=booking, to_state=BookingState.CONFIRMED).count() == 1


@pytest.mark.django_db
def test_kill_switch_wins_over_the_pipeline_gate(restaurant, retries):
    flags.flags_set(pipeline_v3=True, kill_switch=True)
    outcome = run(submitted(restaurant), retries)
    assert outcome.strategy == coordinator.LEGACY


@pytest.mark.django_db
def test_shadow_mode_records_the_engine_while_legacy_confirms(restaurant, retries):
    flags.flags_set(pipeline_v3=True, shadow_mode=True)
    booking = submitted(restaurant)
    outcome = run(booking, retries)
    assert outcome.strategy == coordinator.LEGACY
    shadow = BookingAssignmentAttempt.objects.get(booking=booking, result=AttemptResult.SHADOW)
    assert shadow.metadata["tables"] and shadow.metadata["legacy_tables"] == list(outcome.tables)


@pytest.mark.django_db(transaction=True)
def test_duplicate_messages_through_a_real_worker_give_one_confirmation(restaurant, worker):
    from assignments.tasks import process_booking

    booking = submitted(restaurant)  # on commit: one message
    for _ in range(3):
        process_booking.send(booking_id=booking.pk, trigger="creation", correlation_id="dup")

    assert wait_until(lambda: Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED)
    time.sleep(0.5)  # let the duplicates run too
    assert BookingStateHistory.objects.filter(booking=booking, to_state=BookingState.CONFIRMED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_booking_one_works_the_other_sees_the_lock(restaurant):
    booking = submitted(restaurant)
    barrier = threading.Barrier(2)
    outcomes, scheduled = [], []

    def work():
        barrier.wait()
        outcomes.append(coordinator.process_booking(booking_id=booking.pk, schedule=lambda **kw: scheduled.append(kw)))
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(o.status for o in outcomes)
    # Either the loser found the lock held (retry), or it came after the winner released it (skipped).
    assert statuses in (sorted([Status.CONFIRMED, Status.RETRY_SCHEDULED]), sorted([Status.CONFIRMED, Status.SKIPPED]))
    assert BookingStateHistory.objects.filter(booking=booking, to_state=BookingState.CONFIRMED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_bookings_many_threads_never_double_book(restaurant):
    """Twelve parties of two at 19:00, three tables that seat a pair (T1 needs three): no table is ever
    given twice, each of the three is taken, and everyone else has a retry scheduled."""
    bookings = [submitted(restaurant, party_size=2) for _ in range(12)]
    scheduled = []

    def work(b):
        coordinator.process_booking(booking_id=b.pk, schedule=lambda **kw: scheduled.append(kw))
        connection.close()

    threads = [threading.Thread(target=work, args=(b,)) for b in bookings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    rows = list(TableAllocation.objects.values_list("table_id", "start_at", "end_at"))
    for i, (t1, s1, e1) in enumerate(rows):
        for t2, s2, e2 in rows[i + 1:]:
            assert not (t1 == t2 and s1 < e2 and s2 < e1)
    confirmed = Booking.objects.filter(state=BookingState.CONFIRMED).count()
    assert confirmed == 3
    assert confirmed + len({s["booking_id"] for s in scheduled}) == 12


@pytest.mark.django_db
def test_last_attempt_reseats_a_later_booking_to_make_room(restaurant, retries):
    """A pair sits at M2; a party of seven fits only at M2+M3. Before review, the coordinator moves the
    pair to M1 (one move) and seats the seven, all in one transaction."""
    from assignments import lifecycle
    from assignments.services.allocations import allocations_create

    restaurant.max_assignment_attempts = 1
    restaurant.save()
    pair = submitted(restaurant, party_size=2)
    allocations_create(tables=[restaurant.tables.get(label="M2")], start_at=pair.start_at,
                       end_at=pair.end_at + timedelta(minutes=restaurant.buffer_minutes), booking=pair)
    lifecycle.booking_confirm(booking=pair, tables=["M2"], strategy="test")
    seven = submitted(restaurant, party_size=7)

    outcome = run(seven, retries)

    assert outcome.status == Status.CONFIRMED and outcome.strategy == coordinator.RESEAT
    assert outcome.tables == ("M2", "M3") and outcome.extra["moved"] == [str(pair.pk)]
    assert list(TableAllocation.objects.filter(booking=pair).values_list("table__label", flat=True)) == ["M1"]
    assert Booking.objects.get(pk=pair.pk).state == BookingState.CONFIRMED
    assert OutboxEvent.objects.filter(aggregate_id=str(pair.pk), event_type="booking.tables_changed").exists()
    assert retries == []


@pytest.mark.django_db
def test_reseat_can_be_switched_off(restaurant, retries, settings):
    settings.MAITRE = {**settings.MAITRE, "RESEAT": False}
    from assignments import lifecycle
    from assignments.services.allocations import allocations_create

    restaurant.max_assignment_attempts = 1
    restaurant.save()
    pair = submitted(restaurant, party_size=2)
    allocations_create(tables=[restaurant.tables.get(label="M2")], start_at=pair.start_at,
                       end_at=pair.end_at + timedelta(minutes=restaurant.buffer_minutes), booking=pair)
    lifecycle.booking_confirm(booking=pair, tables=["M2"], strategy="test")

    assert run(submitted(restaurant, party_size=7), retries).status == Status.MANUAL_REVIEW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_modification_while_a_plan_is_in_flight_wins(restaurant, retries, monkeypatch):
    """The party grows from 2 to 6 (from another connection) between the engine's decision and the write:
    the stale plan (a table for two) must not be confirmed; the next pass seats six."""
    from assignments.services.bookings import booking_modify

    booking = submitted(restaurant, party_size=2)
    real_confirm = coordinator.lifecycle.booking_confirm
    changed = {}

    def modify_then_confirm(**kwargs):
        if not changed:
            def modify():
                booking_modify(booking=Booking.objects.get(pk=booking.pk), party_size=6)
                connection.close()

            t = threading.Thread(target=modify)
            t.start()
            t.join()
            changed["done"] = True
        return real_confirm(**kwargs)

    monkeypatch.setattr(coordinator.lifecycle, "booking_confirm", modify_then_confirm)
    first = run(booking, retries)

    assert first.status == Status.SKIPPED
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.ASSIGNMENT_PENDING and fresh.party_size == 6
    assert not TableAllocation.objects.filter(booking=booking).exists()
    history = list(BookingStateHistory.objects.filter(booking=booking).values_list("transition", flat=True))
    assert history == ["create", "request_assignment", "modify"] and fresh.version == 3

    second = coordinator.process_booking(booking_id=booking.pk, trigger="modification", schedule=retries)
    assert second.status == Status.CONFIRMED
    seats = sum(t.max_covers for t in restaurant.tables.filter(label__in=second.tables))
    assert seats >= 6
