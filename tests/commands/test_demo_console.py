"""`manage.py demo` for a newcomer: the day lands on tonight, the printed links open for the printed login, a
second run keeps the bookings made through the API."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from assignments.models import Booking, BookingState, Restaurant
from assignments.scenario import load_scenario
from assignments.services.scenarios import scenario_tonight
from tenancy.services import api_client_create

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"^\s+(admin|review queue|tonight's timeline|API docs)\s+(http://\S+)$", re.M)


@pytest.fixture(autouse=True)
def _fresh_redis():
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        get_redis_connection("default").flushdb()


@pytest.fixture
def small_day(tmp_path):
    """sample-small's floor with its first 12 bookings: the whole pipeline in a few seconds."""
    doc = json.loads((settings.BASE_DIR / "scenarios" / "sample-small.json").read_text())
    doc["bookings"] = sorted(doc["bookings"], key=lambda b: b["arrival"])[:12]
    path = tmp_path / "small-day.json"
    path.write_text(json.dumps(doc))
    return path


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *map(str, args), "--port", "8123", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.embedded
def test_the_demo_lands_on_tonight_and_its_links_open_for_the_printed_login(small_day):
    text = run_demo(small_day)

    scenario = load_scenario(small_day)
    tonight = scenario_tonight(scenario=scenario)
    assert tonight != scenario.restaurant.date
    restaurant = Restaurant.objects.get(slug=scenario.name)
    bookings = Booking.objects.filter(restaurant=restaurant)
    assert bookings.count() == 12
    assert {restaurant.service_day_of(b.start_at) for b in bookings} == {tonight}
    first = min(bookings, key=lambda b: b.start_at).start_at.astimezone(restaurant.tzinfo)
    assert first.time() >= time(11, 0) and first.date() == tonight
    assert not bookings.filter(state=BookingState.ASSIGNMENT_PENDING).exists()
    assert f"{tonight:%A %d %B %Y} (tonight)" in text

    links = dict(LINK.findall(text))
    assert set(links) == {"admin", "review queue", "tonight's timeline", "API docs"}
    assert all(url.startswith("http://127.0.0.1:8123/") for url in links.values())
    assert f"date={tonight.isoformat()}" in links["tonight's timeline"]
    username, password = re.search(r"^\s+login\s+(\S+) / (\S+)\s+\(shown once", text, re.M).groups()
    user = get_user_model().objects.get(username=username)
    assert user.is_staff and not user.is_superuser and user.has_perm("assignments.assign_booking")
    assert user.has_perm("assignments.view_booking") and user.has_perm("assignments.view_restaurant")

    anonymous = Client()
    assert anonymous.get(links["review queue"].removeprefix("http://127.0.0.1:8123")).status_code == 302
    staff = Client()  # logs in through the admin's form, as a person would
    login = staff.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    assert login.status_code == 302 and login.url == "/admin/", login.status_code
    for name, url in links.items():
        response = staff.get(url.removeprefix("http://127.0.0.1:8123"))
        assert response.status_code == 200, (name, url, response.status_code)
    docs = staff.get(links["API docs"].removeprefix("http://127.0.0.1:8123")).content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs and "https://" not in docs
    )  # works offline
    queue = staff.get(links["review queue"].removeprefix("http://127.0.0.1:8123")).content.decode()
    in_review = bookings.filter(state=BookingState.MANUAL_REVIEW)
    assert in_review.exists() and all(b.external_ref in queue for b in in_review)
    timeline = staff.get(links["tonight's timeline"].removeprefix("http://127.0.0.1:8123")).content.decode()
    confirmed = bookings.filter(state=BookingState.CONFIRMED)
    assert confirmed.exists() and all(b.external_ref in timeline for b in confirmed)


def test_the_file_date_is_kept_on_request(small_day):
    text = run_demo(small_day, "--keep-date")
    scenario = load_scenario(small_day)
    restaurant = Restaurant.objects.get(slug=scenario.name)
    days = {restaurant.service_day_of(b.start_at) for b in Booking.objects.filter(restaurant=restaurant)}
    assert days == {scenario.restaurant.date}
    assert "(tonight)" not in text and f"date={scenario.restaurant.date.isoformat()}" in text


@pytest.mark.slow
@pytest.mark.embedded
def test_a_second_demo_keeps_a_booking_made_through_the_api(small_day):
    first = run_demo(small_day)
    scenario = load_scenario(small_day)
    restaurant = Restaurant.objects.get(slug=scenario.name)
    _, key = api_client_create(name="platform", restaurant_slugs=[restaurant.slug])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    # tomorrow at 19:00 (every day opens 17:00-23:30): tonight's 19:00 is in the past once the evening is on
    tomorrow = scenario_tonight(scenario=scenario) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(19, 0), tzinfo=restaurant.tzinfo)
    made = api.post(
        "/api/bookings",
        {
            "restaurant": restaurant.slug,
            "party_size": 2,
            "start_at": start.isoformat(),
            "external_ref": "platform-1",
        },
        format="json",
    )
    assert made.status_code == 201, made.json()

    second = run_demo(small_day)  # no terminal: keeps it, as --existing keep would

    assert "kept 1 bookings made outside the scenario" in second
    assert LINK.findall(second) == LINK.findall(first)  # same restaurant, same links
    kept = Booking.objects.get(pk=made.json()["id"])
    assert kept.restaurant_id == restaurant.pk and kept.external_ref == "platform-1"
    assert Booking.objects.filter(restaurant=restaurant).count() == 13
    assert Restaurant.objects.get(slug=scenario.name).pk == restaurant.pk
    assert "exists already; password unchanged" in second and "shown once" in first

    run_demo(small_day, "--existing", "replace")
    assert not Booking.objects.filter(external_ref="platform-1").exists()
    assert Booking.objects.filter(restaurant__slug=scenario.name).count() == 12


@pytest.mark.slow
@pytest.mark.embedded
def test_a_second_demo_keeps_the_restaurant_and_its_links(small_day):
    first = run_demo(small_day)
    restaurant = Restaurant.objects.get(slug="sample-small")
    second = run_demo(small_day)
    assert Restaurant.objects.get(slug="sample-small").pk == restaurant.pk
    assert LINK.findall(second) == LINK.findall(first)
    assert Booking.objects.filter(restaurant=restaurant).count() == 12


def test_kept_bookings_need_the_same_floor(small_day, tmp_path):
    run_demo(small_day)
    restaurant = Restaurant.objects.get(slug="sample-small")
    Booking.objects.filter(restaurant=restaurant).update(external_ref=None)  # as if made elsewhere
    from assignments.models import BookingStateHistory

    BookingStateHistory.objects.filter(booking__restaurant=restaurant).update(actor_label="api:someone")
    doc = json.loads(small_day.read_text())
    doc["tables"][0]["max_covers"] += 1
    other = tmp_path / "other-floor.json"
    other.write_text(json.dumps(doc))
    with pytest.raises(CommandError, match="another floor than the file.*--existing replace"):
        run_demo(other, "--existing", "keep")
    assert Booking.objects.filter(restaurant=restaurant).count() == 12


@pytest.mark.slow
@pytest.mark.embedded
def test_a_changed_floor_without_other_bookings_replaces_the_restaurant(small_day, tmp_path):
    run_demo(small_day)
    doc = json.loads(small_day.read_text())
    doc["tables"][0]["max_covers"] += 1
    other = tmp_path / "other-floor.json"
    other.write_text(json.dumps(doc))
    run_demo(other)
    restaurant = Restaurant.objects.get(slug="sample-small")
    label = doc["tables"][0]["id"]
    assert restaurant.tables.get(label=label).max_covers == doc["tables"][0]["max_covers"]
    assert Booking.objects.filter(restaurant=restaurant).count() == 12
