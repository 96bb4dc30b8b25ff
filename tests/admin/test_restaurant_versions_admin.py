"""The restaurant's admin page shows the floor version and never writes it (nor the schedule version): a form
opened before a floor change and saved after it does not put the version the change replaced back; the add page
shows none (a new restaurant has no floor yet)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assignments.models import Restaurant
from tests.schedule.test_schedule_admin import _Form, _form

pytestmark = pytest.mark.django_db


def test_a_form_opened_before_a_floor_change_saves_without_putting_its_version_back(client, restaurant):
    client.force_login(User.objects.create_superuser("manager", "m@example.com", "pw"))
    before = Restaurant.objects.get(pk=restaurant.pk)
    page = client.get(f"/admin/assignments/restaurant/{restaurant.pk}/change/").content.decode()
    assert str(before.floor_version) in page  # shown, read-only
    data = _form(client, restaurant)
    assert "floor_version" not in data and "schedule_version" not in data

    table = restaurant.tables.get(label="M1")
    table.active = False
    table.save()  # another manager takes a table out meanwhile
    changed = Restaurant.objects.get(pk=restaurant.pk)
    assert changed.floor_version != before.floor_version

    data["name"] = "Renamed"
    data["floor_version"] = str(before.floor_version)  # as a form of the old page would post it
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]

    saved = Restaurant.objects.get(pk=restaurant.pk)
    assert saved.name == "Renamed"
    assert (saved.floor_version, saved.schedule_version) == (changed.floor_version, changed.schedule_version)


def test_the_add_page_shows_no_floor_version(client):
    # a new restaurant has no floor yet; its version, 1 until the first table, is no drawn value
    client.force_login(User.objects.create_superuser("manager", "m@example.com", "pw"))
    page = client.get("/admin/assignments/restaurant/add/").content.decode()
    assert 'name="slot_minutes"' in page  # the add page, its fieldset shown
    assert "field-floor_version" not in page

    form = _Form()
    form.feed(page)
    data = {k: v for k, v in form.data.items() if "__prefix__" not in k}
    data.update(name="Nouveau", slug="nouveau")
    r = client.post("/admin/assignments/restaurant/add/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Restaurant.objects.get(slug="nouveau").name == "Nouveau"
