"""The restaurant's floor and schedule versions key caches shared by every process: a change gives a value no
change had before (drawn, not counted), a full save of an instance loaded earlier never puts an old one back, and
the migration that widened them to bigint goes back with every value in the integer range."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from assignments.models import Restaurant, WeeklyService
from assignments.services.floor import floor_touch
from assignments.services.schedule import restaurant_timezone_change, schedule_touch

INT_MAX = 2**31 - 1


def versions(restaurant) -> tuple[int, int]:
    return tuple(
        Restaurant.objects.filter(pk=restaurant.pk).values_list("floor_version", "schedule_version").get()
    )


@pytest.mark.django_db
def test_every_change_draws_a_version_no_change_had_and_the_database_keeps_it_whole(restaurant):
    seen_floor, seen_schedule = set(), set()
    floor, schedule = versions(restaurant)
    for _ in range(40):
        floor_touch(restaurant_id=restaurant.pk)
        schedule_touch(restaurant_id=restaurant.pk)
        floor, schedule = versions(restaurant)
        seen_floor.add(floor)
        seen_schedule.add(schedule)
    assert len(seen_floor) == len(seen_schedule) == 40
    assert all(INT_MAX < v < 2**63 for v in seen_floor | seen_schedule)


@pytest.mark.django_db
@pytest.mark.parametrize("draw", ["lowest", "highest"])
def test_the_lowest_and_highest_draws_are_above_every_counter_and_stored_whole(restaurant, monkeypatch, draw):
    monkeypatch.setattr(
        "assignments.models.floor.secrets.randbelow", lambda n: 0 if draw == "lowest" else n - 1
    )
    floor_touch(restaurant_id=restaurant.pk)
    schedule_touch(restaurant_id=restaurant.pk)
    expected = INT_MAX + 1 if draw == "lowest" else 2**63 - 1  # a 32-bit column refuses both on Postgres
    assert versions(restaurant) == (expected, expected)


@pytest.mark.django_db
def test_a_stale_instance_saved_keeps_the_versions_of_the_changes_since(restaurant):
    stale = Restaurant.objects.get(pk=restaurant.pk)
    table = restaurant.tables.get(label="M1")
    table.max_covers = 3
    table.save()  # a floor change
    WeeklyService.objects.create(restaurant=restaurant, weekday=5, name="dinner", closed=True)
    changed = versions(restaurant)
    assert changed != (stale.floor_version, stale.schedule_version)

    stale.name = "Renamed"
    stale.save()  # every field of the instance, as the admin's save does

    assert versions(restaurant) == changed
    assert Restaurant.objects.get(pk=restaurant.pk).name == "Renamed"


@pytest.mark.django_db
def test_the_time_zone_change_draws_a_new_schedule_version(restaurant):
    before = versions(restaurant)
    restaurant_timezone_change(restaurant=restaurant, timezone="Europe/Istanbul")
    after = versions(restaurant)
    assert after[0] == before[0] and after[1] != before[1] and after[1] > INT_MAX
    assert restaurant.schedule_version == after[1]


@pytest.mark.django_db(transaction=True)
def test_going_back_before_the_bigint_versions_brings_them_into_the_integer_range(restaurant):
    floor_touch(restaurant_id=restaurant.pk)
    schedule_touch(restaurant_id=restaurant.pk)
    assert min(versions(restaurant)) > INT_MAX
    other = Restaurant.objects.create(name="Counted", slug="counted", floor_version=7, schedule_version=9)
    try:
        call_command("migrate", "assignments", "0015", verbosity=0)
        with connection.cursor() as cur:
            cur.execute("SELECT id, floor_version, schedule_version FROM assignments_restaurant ORDER BY id")
            rows = {pk: (f, s) for pk, f, s in cur.fetchall()}
        assert rows[other.pk] == (7, 9)  # a counter's value is left as it was
        assert all(2**30 <= v <= INT_MAX - 2**24 for v in rows[restaurant.pk])  # room to count up from
    finally:
        call_command("migrate", "assignments", verbosity=0)
    assert versions(other) == (7, 9)


@pytest.mark.django_db
def test_a_save_of_a_partly_loaded_restaurant_writes_what_was_loaded_and_no_more(
    restaurant, django_assert_num_queries
):
    partly = Restaurant.objects.only("name", "updated_at").get(pk=restaurant.pk)
    partly.name = "Renamed"
    # one UPDATE of the fields loaded: none of the others loaded one query at a time to be written back
    with django_assert_num_queries(1) as queries:
        partly.save()
    (update,) = [q["sql"] for q in queries.captured_queries]
    assert set(re.findall(r'"(\w+)" = ', update.split(" WHERE ")[0])) == {"name", "updated_at"}
    assert Restaurant.objects.get(pk=restaurant.pk).name == "Renamed"


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["without its key", "forced"])
def test_a_loaded_restaurant_saved_as_a_new_row_is_inserted(restaurant, how):
    copy = Restaurant.objects.get(pk=restaurant.pk)
    copy.slug = "copy"
    if how == "without its key":
        copy.pk = None
        copy.save()
    else:
        copy.pk = restaurant.pk + 1000
        copy.save(force_insert=True)
    assert sorted(Restaurant.objects.values_list("slug", flat=True)) == sorted(["copy", restaurant.slug])


@pytest.mark.django_db
def test_a_stale_instance_of_a_deleted_restaurant_is_not_brought_back_by_a_save():
    # a full save would insert it again under its old key, created_at and versions, which key the floor and
    # schedule caches: what was cached before the delete would be served for it
    gone = Restaurant.objects.create(name="Gone", slug="gone")
    stale = Restaurant.objects.get(pk=gone.pk)
    gone.delete()
    stale.name = "Renamed"
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        stale.save()
