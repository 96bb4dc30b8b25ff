"""The pipeline tells the re-seat pay-off how busy the day is (`day_pressure`), from the bookings made before
the one being decided, and applies the same rule (`reseat_pays_off`) the benchmark replays."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assignments import coordinator
from assignments.coordinator import Status
from assignments.models import BookingAssignmentAttempt
from assignments.services.pipeline import booking_submit_for_assignment
from optimization.selectors import day_pressure
from optimization.solver.reseat import RECENT_REQUESTS, DayPressure
from tests.factories import DAY, at, booking_create, make_booking


def decided(restaurant, *, refused: bool, start: str = "19:00"):
    """A booking the pipeline has looked at: an engine attempt, and a re-seat attempt when it found no plan."""
    b = make_booking(restaurant, start=start)
    BookingAssignmentAttempt.objects.create(booking=b, attempt_no=1, strategy="gap_fit", result="no_plan")
    if refused:
        BookingAssignmentAttempt.objects.create(booking=b, attempt_no=1, strategy="reseat", result="no_plan")
    return b


@pytest.mark.django_db
def test_day_pressure_counts_the_latest_decided_bookings_made_before_this_one(restaurant):
    for refused in (False, True, True, False):
        decided(restaurant, refused=refused)
    make_booking(restaurant)  # not decided yet: not counted
    decided(restaurant, refused=True, start="12:00")  # another service of the same day counts too
    booking = make_booking(restaurant)
    decided(restaurant, refused=True)  # made after the booking: never read
    assert day_pressure(restaurant=restaurant, day=DAY, booking=booking) == DayPressure(decided=5, refused=3)
    tomorrow = DAY + timedelta(days=1)
    booking_create(restaurant=restaurant, party_size=2, start_at=at("19:00", tomorrow))
    assert day_pressure(restaurant=restaurant, day=tomorrow, booking=booking) == DayPressure()


@pytest.mark.django_db
def test_day_pressure_reads_only_the_latest_requests(restaurant):
    for _ in range(5):
        decided(restaurant, refused=True)  # old refusals, beyond the window
    for _ in range(RECENT_REQUESTS):
        decided(restaurant, refused=False)
    booking = make_booking(restaurant)
    assert day_pressure(restaurant=restaurant, day=DAY, booking=booking) == DayPressure(RECENT_REQUESTS, 0)


@pytest.mark.django_db
def test_the_pipeline_decides_a_re_seat_by_the_same_rule_with_the_days_pressure(restaurant, monkeypatch):
    """A pair on M2; a party of seven fits only at M2+M3. The coordinator's re-seat asks `reseat_pays_off`,
    told the pressure `day_pressure` reads for the seven, and seats the seven because the rule says so."""
    import optimization.reseating as reseating
    from assignments import lifecycle
    from assignments.services.allocations import allocations_create

    restaurant.max_assignment_attempts = 1
    restaurant.save()
    decided(restaurant, refused=True, start="12:00")
    decided(restaurant, refused=False, start="12:00")
    pair = make_booking(restaurant, party_size=2)
    lifecycle.booking_request_assignment(booking=pair)
    allocations_create(
        tables=[restaurant.tables.get(label="M2")],
        start_at=pair.start_at,
        end_at=pair.end_at + timedelta(minutes=restaurant.buffer_minutes),
        booking=pair,
    )
    seven = make_booking(restaurant, party_size=7)
    booking_submit_for_assignment(booking=seven, trigger="creation", correlation_id="c-7")
    asked = []
    real = reseating.reseat_pays_off

    def spy(*args, **kwargs):
        answer = real(*args, **kwargs)
        now = day_pressure(restaurant=restaurant, day=DAY, booking=seven)
        asked.append((kwargs["pressure"], now, answer))
        return answer

    monkeypatch.setattr(reseating, "reseat_pays_off", spy)
    outcome = coordinator.process_booking(booking_id=seven.pk)
    assert outcome.status == Status.CONFIRMED and outcome.strategy == coordinator.RESEAT
    told, read, answer = asked[-1]
    assert told == read and answer is True
    assert told.decided >= 2 and told.refused >= 1  # the two decided at noon at least
