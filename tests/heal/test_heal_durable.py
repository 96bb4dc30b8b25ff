"""The heal survives the freeing process: the cancelling transaction writes its `tables.freed` outbox event, so a
process that dies between that commit and the heal loses nothing (the relay hands the event to a worker, or the
sweep of due heals finds it); a heal runs once, whoever gets there first; a rolled-back write leaves nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.models import (
    BookingState,
    BookingStateHistory,
    DeliveryStatus,
    FloorHealDelivery,
    OutboxEvent,
)
from assignments.services import outbox
from assignments.services.heal import (
    floor_heal_deliveries_run_due,
    floor_heal_delivery_run,
    on_tables_freed,
)
from assignments.signals import tables_freed
from tests.factories import DAY
from tests.heal.helpers import (
    _due_at_once,  # noqa: F401  (autouse: heals due at once)
    seated,
    waiting_in_review,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def full_floor(restaurant):
    """Every table taken at 19:00 but T1's party of 5; a party of 6 waits in review for T1."""
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    seated(restaurant, ["M1"], party_size=2, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")
    return five, six


@pytest.fixture
def crash_after_commit():
    """The freeing process dies right after its commit: the in-process heal never runs."""
    tables_freed.disconnect(dispatch_uid="floor-heal")
    yield
    tables_freed.connect(on_tables_freed, dispatch_uid="floor-heal")


def offers(booking) -> int:
    return BookingStateHistory.objects.filter(booking=booking, actor_label="floor_heal").count()


def test_a_crash_after_the_cancelling_commit_still_heals_through_the_relay(
    restaurant, full_floor, crash_after_commit
):
    five, six = full_floor
    lifecycle.booking_cancel(booking=five, reason="guest called")
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW  # nobody healed: the process died
    (event,) = OutboxEvent.objects.filter(event_type="tables.freed", published_at__isnull=True)
    assert event.restaurant_id == restaurant.pk and event.payload["booking_ids"] == [five.pk]

    outbox.outbox_relay(publish=lambda events: None)  # the scheduler's relay, in another process
    delivery = FloorHealDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.PENDING
    assert floor_heal_delivery_run(event_id=event.pk)  # the worker woken for it
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING and offers(six) == 1
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert not floor_heal_delivery_run(event_id=event.pk)  # a second wake-up: already done
    assert floor_heal_deliveries_run_due() == 0


def test_a_lost_wake_up_is_found_by_the_sweep_of_due_heals(restaurant, full_floor, crash_after_commit):
    from prometheus_client import REGISTRY

    five, six = full_floor
    lifecycle.booking_cancel(booking=five, reason="guest called")
    outbox.outbox_relay(publish=lambda events: None)  # its wake-up message is lost (nothing consumes it here)
    pending = REGISTRY.get_sample_value("maitre_event_deliveries_pending", {"consumer": "floor_heal"})
    assert pending == 1.0  # ops see it waiting
    assert floor_heal_deliveries_run_due() == 1
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING and offers(six) == 1


def test_the_in_process_heal_runs_once_and_the_relayed_one_finds_it_done(restaurant, full_floor):
    five, six = full_floor
    lifecycle.booking_cancel(booking=five, reason="guest called")  # autocommit: healed right after
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING
    (event,) = OutboxEvent.objects.filter(event_type="tables.freed")
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED

    lifecycle.booking_send_to_review(booking=six, reason="staff put it back")  # the healed try failed
    outbox.outbox_relay(publish=lambda events: None)
    assert not floor_heal_delivery_run(event_id=event.pk)
    assert floor_heal_deliveries_run_due() == 0
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW and offers(six) == 1  # not offered a second time
    assert FloorHealDelivery.objects.count() == 1


def test_a_rolled_back_cancellation_leaves_no_heal(restaurant, full_floor):
    five, six = full_floor
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.booking_cancel(booking=five, reason="guest called")
        assert OutboxEvent.objects.filter(event_type="tables.freed").count() == 1  # in the same transaction
        raise RuntimeError("the write failed after the cancel")
    assert not OutboxEvent.objects.filter(event_type="tables.freed").exists()
    assert not FloorHealDelivery.objects.exists()
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW


def test_a_failing_heal_is_tried_again_later(restaurant, full_floor, crash_after_commit, monkeypatch):
    five, six = full_floor
    lifecycle.booking_cancel(booking=five, reason="guest called")
    outbox.outbox_relay(publish=lambda events: None)
    event = OutboxEvent.objects.get(event_type="tables.freed")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("assignments.services.heal.floor_heal", broken)
    assert not floor_heal_delivery_run(event_id=event.pk)
    delivery = FloorHealDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "database went away" in delivery.last_error and delivery.next_attempt_at > delivery.updated_at
    monkeypatch.undo()
    FloorHealDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    assert floor_heal_deliveries_run_due() == 1
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING


def test_webhooks_never_hear_of_tables_freed(restaurant, full_floor):
    from django.contrib.auth.models import User

    from tests.factories import grant
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_subscription_create

    platform = grant(User.objects.create_user("platform"), restaurant)
    webhook_subscription_create(owner=platform, url="https://hooks.example.com/h", event_types=[])
    five, _ = full_floor
    lifecycle.booking_cancel(booking=five, reason="guest called")
    outbox.outbox_relay(publish=lambda events: None)
    kinds = set(WebhookDelivery.objects.values_list("event__event_type", flat=True))
    assert "booking.cancelled" in kinds and "tables.freed" not in kinds


def _cancel_in_a_savepoint_rolled_back(booking) -> None:
    """A cancellation inside a savepoint that its caller rolls back (a conflict caught further down), while the
    outer transaction goes on and commits."""
    try:
        with transaction.atomic():
            lifecycle.booking_cancel(booking=booking, reason="guest called")
            raise RuntimeError("a conflict after the cancel")
    except RuntimeError:
        pass


def test_a_day_freed_again_after_a_rolled_back_savepoint_still_heals(restaurant, full_floor):
    """The transaction already freed another day (its heal pending); this day's first freeing is in a savepoint
    that rolls back, with its `tables.freed` event; the same tables are then freed for good: the day is healed,
    from an event that exists."""
    from datetime import timedelta

    from assignments.services.freed import tables_freed_on_commit

    five, six = full_floor
    with transaction.atomic():
        tables_freed_on_commit(
            restaurant_id=restaurant.pk, service_date=DAY + timedelta(days=1), reason="block_removed"
        )
        _cancel_in_a_savepoint_rolled_back(five)
        five.refresh_from_db()
        assert five.state == BookingState.CONFIRMED  # the savepoint took the cancel back
        lifecycle.booking_cancel(booking=five, reason="guest called")
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING and offers(six) == 1
    (event,) = OutboxEvent.objects.filter(event_type="tables.freed", aggregate_id=f"{restaurant.pk}:{DAY}")
    assert event.payload["booking_ids"] == [five.pk]
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED


def test_a_freeing_rolled_back_with_its_savepoint_is_heard_of_by_nobody(restaurant, full_floor):
    from datetime import timedelta

    from assignments.services.freed import tables_freed_on_commit

    five, six = full_floor
    heard: list = []

    def hear(sender, *, service_date, **kwargs):
        heard.append(service_date)

    tables_freed.connect(hear, dispatch_uid="test-hear")
    try:
        with transaction.atomic():
            tables_freed_on_commit(
                restaurant_id=restaurant.pk, service_date=DAY + timedelta(days=1), reason="block_removed"
            )
            _cancel_in_a_savepoint_rolled_back(five)
    finally:
        tables_freed.disconnect(dispatch_uid="test-hear")
    assert heard == [DAY + timedelta(days=1)]  # the day whose freeing committed, not the one rolled back
    assert not OutboxEvent.objects.filter(
        event_type="tables.freed", aggregate_id=f"{restaurant.pk}:{DAY}"
    ).exists()
    six.refresh_from_db()
    assert six.state == BookingState.MANUAL_REVIEW and offers(six) == 0
