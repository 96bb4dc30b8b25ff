"""An hours change that rolls back (the save failed after its rows were written and the bookings put on their
days) leaves nothing behind in the process: the schedule cache is keyed on the schedule version, and the rows read
inside the change are cached under the version it drew. A counted version would be reached again by the next
change, with other hours, and those would be the hours read; a drawn one never is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from assignments.models import Booking, Restaurant, WeeklyService
from assignments.services.schedule import schedule_change_follow
from tests.factories import DAY, at
from tests.schedule.test_closed_after_booking import waiting

pytestmark = pytest.mark.django_db
SAT = DAY  # a Saturday
FRI = DAY - timedelta(days=1)


class SaveFailed(Exception):
    pass


def fresh(restaurant) -> Restaurant:
    return Restaurant.objects.get(pk=restaurant.pk)


def test_the_hours_of_a_rolled_back_change_are_never_read_after_it(restaurant):
    late = waiting(restaurant, start="00:45")
    assert late.service_date == SAT
    with pytest.raises(SaveFailed), transaction.atomic():
        WeeklyService.objects.create(
            restaurant=restaurant, weekday=FRI.weekday(), name="late dinner", start="18:00", end="01:30"
        )
        change = schedule_change_follow(restaurant=fresh(restaurant), dates={FRI})
        assert change.moved == {late.pk: FRI}  # read, inside the change, under its hours
        raise SaveFailed
    assert fresh(restaurant).service_day_of(at("00:45")) == SAT

    # the next change (another manager, Sunday's lunch), with other hours: a count would give it the same version
    WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=(SAT + timedelta(days=1)).weekday(),
        name="lunch",
        start="12:00",
        end="15:00",
    )
    schedule_change_follow(restaurant=fresh(restaurant), dates={SAT + timedelta(days=1)})

    assert fresh(restaurant).service_day_of(at("00:45")) == SAT  # Friday runs to 23:30, as committed
    assert Booking.objects.get(pk=late.pk).service_date == SAT
