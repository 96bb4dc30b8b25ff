"""A floor or hours change that rolls back leaves nothing in the shared snapshot cache that is served afterwards.

Snapshots live in Redis, shared by every process, keyed on the restaurant's floor and schedule versions. A change
bumps a version and, before it rolls back, may compute (and write) snapshots under it: the next change that
commits must key its snapshots on a value that rolled-back change never had, or the rolled-back floor or hours
are offered. The process caches are emptied before the last read, as in another process, so what is served comes
from the shared cache."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction

from assignments.caches import maitre_caches_reset
from assignments.models import Restaurant, WeeklyService
from assignments.services.schedule import schedule_change_follow
from availability.selectors import availability_for_day, snapshot_key
from tests.availability.helpers import plan_tables, slot
from tests.factories import DAY, at

pytestmark = pytest.mark.django_db
SUN = DAY + timedelta(days=1)


class SaveFailed(Exception):
    pass


def fresh(restaurant) -> Restaurant:
    return Restaurant.objects.get(pk=restaurant.pk)


def grid(restaurant, party_size=2):
    return availability_for_day(restaurant=fresh(restaurant), day=DAY, party_size=party_size)


def cached_at(restaurant, minute: int, party_size: int = 2):
    r = fresh(restaurant)
    key = snapshot_key(r.pk, r.floor_version, DAY, minute, party_size, False, True, r.schedule_version)
    return cache.get(key)


def table_out(restaurant, label: str) -> None:
    table = restaurant.tables.get(label=label)
    table.active = False
    table.save()  # bumps the floor version


def test_the_snapshots_of_a_rolled_back_floor_change_are_never_served_after_it(restaurant):
    with pytest.raises(SaveFailed), transaction.atomic():
        table_out(restaurant, "M1")
        inside = grid(restaurant)
        assert "M1" not in plan_tables(slot(inside, "19:00"))  # computed under the change
        assert cached_at(restaurant, 19 * 60) is not None  # and written to the shared cache
        raise SaveFailed

    table_out(restaurant, "M2")  # the next change, committed: another table out
    maitre_caches_reset()  # another process: only the shared cache is common

    after = slot(grid(restaurant), "19:00")
    assert "M1" in plan_tables(after) and "M2" not in plan_tables(after)


def test_the_snapshots_of_a_rolled_back_hours_change_are_never_served_after_it(restaurant):
    with pytest.raises(SaveFailed), transaction.atomic():
        WeeklyService.objects.create(  # Saturday's dinner with one-hour turns
            restaurant=restaurant,
            weekday=DAY.weekday(),
            name="dinner",
            start=time(17, 0),
            end=time(23, 30),
            turn_minutes={"default": 60},
        )
        schedule_change_follow(restaurant=fresh(restaurant), dates={DAY})
        inside = slot(grid(restaurant), "19:00")
        assert inside["end_at"] == at("20:10").isoformat()  # 60 min + the 10 min buffer
        assert cached_at(restaurant, 19 * 60) is not None
        raise SaveFailed

    WeeklyService.objects.create(  # the next change, committed: Sunday's lunch
        restaurant=restaurant, weekday=SUN.weekday(), name="lunch", start=time(12, 0), end=time(15, 0)
    )
    schedule_change_follow(restaurant=fresh(restaurant), dates={SUN})
    maitre_caches_reset()

    after = slot(grid(restaurant), "19:00")
    assert after["end_at"] == at("20:40").isoformat()  # Saturday's default turn for two, 90 min, as committed
