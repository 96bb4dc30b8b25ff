"""The pipeline follows the day's reference layout (engine/reference.py) exactly as the benchmark replay does:
a day imported and submitted in arrival order ends with the replay's tables, some of them chosen because the
reference layout put them there; a cancellation makes the layout start over."""

from __future__ import annotations

import pytest
from django.conf import settings

from assignments import coordinator
from assignments.context import floor_state, request_for
from assignments.engine import Floor
from assignments.engine.engine import REFERENCE
from assignments.engine.reference import reference_plans
from assignments.models import Booking, BookingState
from assignments.scenario import load_scenario
from assignments.selectors.reference import day_reference_plans
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.scenarios import scenario_import
from bench.benchmarking import replay_engine

pytestmark = pytest.mark.django_db

SAMPLE = settings.BASE_DIR / "scenarios" / "sample-medium.json"


@pytest.fixture
def medium(settings):
    settings.MAITRE = {**settings.MAITRE, "RESEAT": False}
    restaurant = scenario_import(scenario=load_scenario(SAMPLE))
    restaurant.max_assignment_attempts = 1  # the replay has no retries: not seated = review
    restaurant.save(update_fields=["max_assignment_attempts"])
    bookings = list(Booking.objects.filter(restaurant=restaurant).order_by("arrival", "id"))
    for b in bookings:
        booking_submit_for_assignment(booking=b, trigger="creation", correlation_id=f"c{b.pk}")
    return restaurant, bookings


def test_the_pipeline_seats_the_replay_tables_following_the_reference_layout(medium):
    restaurant, bookings = medium
    coordinator.assign_due(restaurant_id=restaurant.pk, service_date=bookings[0].service_date)

    seated = {
        b.external_ref: sorted(b.allocations.values_list("table__label", flat=True))
        for b in Booking.objects.filter(restaurant=restaurant, state=BookingState.CONFIRMED)
    }
    replay = replay_engine(load_scenario(SAMPLE))
    assert seated == {ref: sorted(tables) for ref, tables in replay.assignment.items()}
    followed = Booking.objects.filter(restaurant=restaurant, assignment_strategy=REFERENCE).count()
    assert followed == replay.wins[REFERENCE] > 0


def test_the_day_layout_kept_between_batches_equals_a_replay_from_scratch_after_a_cancellation(medium):
    restaurant, bookings = medium
    day = bookings[0].service_date
    floor: Floor = floor_state(restaurant=restaurant).floor
    ids = [b.pk for b in bookings]

    def scratch():
        live = (
            Booking.objects.filter(restaurant=restaurant, service_date=day)
            .exclude(state=BookingState.CANCELLED)
            .order_by("arrival", "id")
        )
        reqs = [request_for(booking=b, restaurant=restaurant, day=day) for b in live]
        return {int(k): v for k, v in reference_plans(floor, reqs, [str(i) for i in ids]).items()}

    first = day_reference_plans(restaurant=restaurant, day=day, floor=floor, booking_ids=ids)
    assert first == scratch() and any(first.values())
    early = next(b for b in bookings if first[b.pk])  # the first booking the layout seats
    Booking.objects.filter(pk=early.pk).update(state=BookingState.CANCELLED)
    after = day_reference_plans(restaurant=restaurant, day=day, floor=floor, booking_ids=ids)
    assert early.pk not in after
    assert after == scratch()
    assert after != {k: v for k, v in first.items() if k != early.pk}  # its tables went to someone else
