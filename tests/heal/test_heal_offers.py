"""Each offer of a heal is its own short transaction: a failure on one never takes back the others, the delivery
is marked done only once every offer was tried, a crash mid-way leaves it due, and a re-run offers only the
bookings not offered yet. The note dates from when the tables were freed, not from when the heal ran."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.models import (
    Booking,
    BookingState,
    BookingStateHistory,
    DeliveryStatus,
    FloorHealDelivery,
    OutboxEvent,
)
from assignments.services import heal, outbox
from assignments.services.heal import floor_heal_deliveries_run_due, floor_heal_delivery_run, on_tables_freed
from assignments.signals import tables_freed
from tests.factories import DAY
from tests.heal.helpers import (
    _due_at_once,  # noqa: F401  (autouse: heals due at once)
    seated,
    tables_of,
    waiting_in_review,
    wide_floor,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def three_waiting():
    """Three 2-tops; a couple on S01 at 19:00 and three couples in review at 19:30. The couple cancels and the
    freeing process dies right after its commit: the heal is the relay's `tables.freed` event's, still due."""
    restaurant = wide_floor(3)
    couple = seated(restaurant, ["S01"], start="19:00")
    waiting = [waiting_in_review(restaurant, party_size=2, start="19:30") for _ in range(3)]
    tables_freed.disconnect(dispatch_uid="floor-heal")
    try:
        lifecycle.booking_cancel(booking=couple, reason="guest called")
    finally:
        tables_freed.connect(on_tables_freed, dispatch_uid="floor-heal")
    outbox.outbox_relay(publish=lambda events: None)
    event = OutboxEvent.objects.get(event_type="tables.freed")
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.PENDING
    return restaurant, event, waiting


def offers(booking) -> int:
    return BookingStateHistory.objects.filter(booking=booking, actor_label="floor_heal").count()


def states(bookings) -> list[str]:
    by_pk = dict(Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("pk", "state"))
    return [by_pk[b.pk] for b in bookings]


def lease_lapses(event) -> None:
    FloorHealDelivery.objects.filter(event=event).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_conflict_on_the_second_offer_takes_back_neither_the_first_nor_the_third(
    three_waiting, monkeypatch
):
    restaurant, event, (first, second, third) = three_waiting
    offer = heal.booking_offer_freed_tables

    def conflicting(*, booking, **kwargs):
        if booking.pk != second.pk:
            return offer(booking=booking, **kwargs)
        with transaction.atomic():  # the database refuses this offer's write after it began
            offer(booking=booking, **kwargs)
            raise OperationalError("could not serialize access due to concurrent update")

    monkeypatch.setattr("assignments.services.heal.booking_offer_freed_tables", conflicting)
    assert not floor_heal_delivery_run(event_id=event.pk)

    pending, review = BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW
    assert states([first, second, third]) == [pending, review, pending]
    assert [offers(b) for b in (first, second, third)] == [1, 0, 1]
    delivery = FloorHealDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)  # not lost: due again later
    assert f"offering booking(s) {second.pk} failed" in delivery.last_error
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    assert states([first, third]) == [BookingState.CONFIRMED] * 2

    monkeypatch.undo()
    lease_lapses(event)  # its backoff is over
    assert floor_heal_deliveries_run_due() == 1
    assert [offers(b) for b in (first, second, third)] == [1, 1, 1]  # the second only, this time
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    assert states([first, second, third]) == [BookingState.CONFIRMED] * 3
    assert sorted(t for b in (first, second, third) for t in tables_of(b)) == ["S01", "S02", "S03"]


class ProcessDied(BaseException):
    """The worker killed mid-heal: nothing in the process gets to handle it."""


def test_a_crash_after_the_first_offer_leaves_the_heal_due_and_the_sweep_finishes_without_touching_it(
    three_waiting, monkeypatch
):
    restaurant, event, (first, second, third) = three_waiting
    offer = heal.booking_offer_freed_tables

    def dying(*, booking, **kwargs):
        made = offer(booking=booking, **kwargs)
        if booking.pk == first.pk:
            raise ProcessDied
        return made

    monkeypatch.setattr("assignments.services.heal.booking_offer_freed_tables", dying)
    with pytest.raises(ProcessDied):
        floor_heal_delivery_run(event_id=event.pk)
    monkeypatch.undo()

    pending, review = BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW
    assert states([first, second, third]) == [pending, review, review]  # the first offer was committed
    delivery = FloorHealDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at > timezone.now()
    assert floor_heal_deliveries_run_due() == 0  # still leased to the dead worker: nobody runs it twice
    assert not floor_heal_delivery_run(event_id=event.pk)  # nor does a late wake-up

    first.refresh_from_db()  # its one healed try found no plan meanwhile: back in review, a person's now
    lifecycle.booking_send_to_review(booking=first, reason="still no free plan")
    lease_lapses(event)
    assert floor_heal_deliveries_run_due() == 1

    assert states([first, second, third]) == [review, pending, pending]
    assert [offers(b) for b in (first, second, third)] == [1, 1, 1]  # the first was not offered again
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    assert states([second, third]) == [BookingState.CONFIRMED] * 2


def test_the_note_says_when_the_tables_were_freed_not_when_the_heal_ran(three_waiting):
    restaurant, event, (first, _, _) = three_waiting
    freed_at = timezone.now() - timedelta(minutes=10)  # the heal ran ten minutes after the cancellation
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=freed_at)

    assert floor_heal_delivery_run(event_id=event.pk)

    note = f"tables freed up at {freed_at.astimezone(restaurant.tzinfo):%H:%M} (cancellation of #"
    first.refresh_from_db()
    assert first.heal_cause.startswith(note), first.heal_cause
    offer = BookingStateHistory.objects.get(booking=first, actor_label="floor_heal")
    assert offer.metadata["reason"].startswith(f"floor healed: {note}")
    assert offer.metadata["heal_event_id"] == event.pk


def test_a_live_worker_keeps_its_lease_through_a_heal_longer_than_the_lease(
    three_waiting, monkeypatch, settings
):
    """Each offer takes 0.3 s and the lease is 0.5 s: the worker renews it between offers, so the sweep (another
    worker) finds nothing due while it runs, and nobody runs the heal twice."""
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_LEASE_SECONDS": 0.5}
    restaurant, event, (first, second, third) = three_waiting
    offer = heal.booking_offer_freed_tables
    swept: list[int] = []

    def slow(*, booking, **kwargs):
        made = offer(booking=booking, **kwargs)
        time.sleep(0.3)
        if booking.pk == third.pk:  # 0.9 s in: past the first lease
            swept.append(floor_heal_deliveries_run_due())
        return made

    monkeypatch.setattr("assignments.services.heal.booking_offer_freed_tables", slow)
    assert floor_heal_delivery_run(event_id=event.pk)
    assert swept == [0]
    assert [offers(b) for b in (first, second, third)] == [1, 1, 1]
    delivery = FloorHealDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_a_worker_whose_lease_was_taken_over_stops_and_leaves_the_delivery_to_the_new_holder(
    three_waiting, monkeypatch, settings
):
    """The worker stalls past its lease after the first offer; another takes the heal over, offers the second and
    dies. The first worker, back, offers nothing more and marks nothing: the heal is the new holder's until its
    lease lapses, then the sweep finishes it."""
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_LEASE_SECONDS": 1.0}
    restaurant, event, (first, second, third) = three_waiting
    offer = heal.booking_offer_freed_tables
    took_over = []

    def stalling(*, booking, **kwargs):
        if took_over and booking.pk == third.pk:
            raise ProcessDied  # the second worker dies after its first offer
        made = offer(booking=booking, **kwargs)
        if booking.pk == first.pk and not took_over:
            time.sleep(0.6)  # stalled: the renewal is due
            lease_lapses(event)  # ... and came too late
            took_over.append(True)
            with pytest.raises(ProcessDied):
                floor_heal_delivery_run(event_id=event.pk)
        return made

    monkeypatch.setattr("assignments.services.heal.booking_offer_freed_tables", stalling)
    assert not floor_heal_delivery_run(event_id=event.pk)
    monkeypatch.undo()

    pending, review = BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW
    assert states([first, second, third]) == [pending, pending, review]
    delivery = FloorHealDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)  # the dead holder's lease
    assert delivery.next_attempt_at > timezone.now()
    lease_lapses(event)
    assert floor_heal_deliveries_run_due() == 1
    assert [offers(b) for b in (first, second, third)] == [1, 1, 1]
    assert FloorHealDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED


def test_the_lease_is_a_setting(three_waiting, settings):
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_LEASE_SECONDS": 600}
    _, event, _ = three_waiting
    before = timezone.now()
    heal._Lease.take(FloorHealDelivery.objects.get(event=event).pk)
    lease = FloorHealDelivery.objects.get(event=event).next_attempt_at - before
    assert timedelta(seconds=599) < lease < timedelta(seconds=602)
