"""Bad input is a 400 (or 409/413) in JSON and nothing is written: each input the fuzzing and the hand tests
of issue 10 found, as a regression test."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from assignments import lifecycle
from assignments.models import Booking, BookingStateHistory, Hold
from tests.factories import DAY, DAY_ISO, at, make_booking

pytestmark = pytest.mark.django_db


def create(api, r, **over):
    body = {"restaurant": r.slug, "party_size": 2, "start_at": at("19:00").isoformat()}
    body.update(over)
    return api.post("/api/bookings", body, format="json")


@pytest.mark.parametrize(
    ("start_at", "why"),
    [
        (f"{DAY_ISO}T12:99", "impossible time"),
        ("2026-02-30T19:00", "impossible date"),
        (f"{DAY_ISO}T19:00+16:00", "offset beyond Postgres"),
        (f"{DAY_ISO}T19:00-15:00", "offset beyond any real zone"),
        ("9999-12-31T19:00:00+00:00", "overflow"),
        ("9999-12-31T23:59:59-14:00", "overflow once in UTC"),
        ("0001-01-01T19:00:00+05:00", "underflow"),
        ("2000-01-01T19:00:00+00:00", "long past"),
        (f"{DAY_ISO}T19:00\u0000", "NUL byte"),
        ("tomorrow", "not a date"),
        (f"{DAY_ISO}T04:00:00+00:00", "closed"),
    ],
)
def test_create_refuses_bad_times(api_a, restaurant, start_at, why):
    r = create(api_a, restaurant, start_at=start_at)
    assert r.status_code == 400, (why, r.content)
    assert r.json()["error"] == "invalid" and "start_at" in r.json()["fields"]
    assert not Booking.objects.exists()


def test_create_refuses_beyond_the_horizon_and_takes_a_per_restaurant_one(api_a, restaurant, settings):
    far = (timezone.now() + timedelta(days=400)).astimezone(restaurant.tzinfo).replace(hour=19, minute=0)
    assert create(api_a, restaurant, start_at=far.isoformat()).status_code == 400
    restaurant.booking_horizon_days = 500
    restaurant.save()
    assert create(api_a, restaurant, start_at=far.isoformat()).status_code == 201
    settings.MAITRE_API = {**settings.MAITRE_API, "BOOKING_HORIZON_DAYS": 3}
    restaurant.booking_horizon_days = None
    restaurant.save()
    r = create(api_a, restaurant, start_at=at("20:00").isoformat())  # 7 days ahead
    assert r.status_code == 400 and "3 days" in r.json()["fields"]["start_at"][0]


def test_create_allows_a_short_grace_in_the_past(api_a, restaurant, settings):
    restaurant.service_periods = [{"name": "all day", "start": "00:00", "end": "23:59"}]
    restaurant.save()
    now = timezone.now()
    assert create(api_a, restaurant, start_at=(now - timedelta(minutes=5)).isoformat()).status_code == 201
    assert create(api_a, restaurant, start_at=(now - timedelta(minutes=30)).isoformat()).status_code == 400


def test_a_naive_time_is_the_restaurants_local_time_for_bookings_and_holds(api_a, restaurant):
    r = create(api_a, restaurant, start_at=f"{DAY_ISO}T19:00")
    assert r.status_code == 201
    assert Booking.objects.get(pk=r.json()["id"]).start_at == at("19:00")
    h = api_a.post(
        "/api/holds",
        {"restaurant": restaurant.slug, "start_at": f"{DAY_ISO}T20:00", "tables": ["M1"]},
        format="json",
    )
    assert h.status_code == 201 and Hold.objects.get(pk=h.json()["id"]).start_at == at("20:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("restaurant", "bistro\u0000"),
        ("restaurant", "x" * 101),
        ("guest_name", "x" * 201),
        ("notes", "x" * 1001),
        ("external_ref", "x" * 101),
        ("guest_name", "nul\u0000"),
        ("preferred_zone", "nope"),
        ("party_size", 0),
        ("party_size", 101),
        ("duration_minutes", 10_000),
    ],
)
def test_create_refuses_bad_fields(api_a, restaurant, field, value):
    r = create(api_a, restaurant, **{field: value})
    assert r.status_code == 400 and field in r.json()["fields"], r.content
    assert not Booking.objects.exists()


def test_a_deeply_nested_body_is_a_400(api_a):
    assert (
        api_a.generic(
            "POST", "/api/bookings", "[" * 100_000 + "]" * 100_000, content_type="application/json"
        ).status_code
        == 413
    )
    body = "[" * 20_000 + "]" * 20_000  # 40 kB: under the body limit, far past the nesting limit
    r = api_a.generic("POST", "/api/bookings", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"] == "parse_error"


def test_a_large_body_is_a_413_in_json(api_a, restaurant):
    r = create(api_a, restaurant, notes="x" * (2 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert not Booking.objects.exists()


def test_external_ref_reused_with_another_request_is_a_409_naming_the_original(api_a, restaurant):
    first = create(api_a, restaurant, external_ref="P-7")
    assert first.status_code == 201
    again = create(api_a, restaurant, external_ref="P-7")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = create(api_a, restaurant, external_ref="P-7", party_size=5)
    assert other.status_code == 409 and other.json()["error"] == "external_ref_conflict"
    assert other.json()["original"] == first.json()["id"]
    assert Booking.objects.count() == 1


def test_patch_with_nothing_to_change_is_a_400(api_a, restaurant):
    booking = make_booking(restaurant)
    for body in ({}, {"version": 1}):
        r = api_a.patch(f"/api/bookings/{booking.pk}", body, format="json")
        assert r.status_code == 400 and r.json()["error"] == "invalid"
    assert BookingStateHistory.objects.filter(booking=booking).count() == 1


@pytest.mark.parametrize(
    "start_at", ["9999-12-31T19:00:00+00:00", f"{DAY_ISO}T12:99", f"{DAY_ISO}T09:00:00+00:00"]
)
def test_patch_refuses_bad_times(api_a, restaurant, start_at):
    booking = make_booking(restaurant)
    r = api_a.patch(f"/api/bookings/{booking.pk}", {"start_at": start_at}, format="json")
    assert r.status_code == 400 and "start_at" in r.json()["fields"]
    assert Booking.objects.get(pk=booking.pk).start_at == booking.start_at


def test_a_cancel_without_version_wins_against_a_moving_booking(api_a, restaurant, monkeypatch):
    """The pipeline moves the booking between our read and our write (twice): the cancel re-reads and wins."""
    booking = make_booking(restaurant)
    real_cancel = lifecycle.booking_cancel
    moves = iter([True, True])

    def racing_cancel(**kwargs):
        if next(moves, False):
            current = Booking.objects.get(pk=booking.pk)
            if current.state == "pending":
                lifecycle.booking_request_assignment(booking=current)
            else:
                lifecycle.booking_send_to_review(booking=current, reason="raced")
        return real_cancel(**kwargs)

    monkeypatch.setattr(lifecycle, "booking_cancel", racing_cancel)
    r = api_a.post(f"/api/bookings/{booking.pk}/cancel", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert Booking.objects.get(pk=booking.pk).version == 4


def test_a_cancel_with_a_stale_version_is_a_409(api_a, restaurant):
    booking = make_booking(restaurant)
    lifecycle.booking_request_assignment(booking=booking)
    r = api_a.post(f"/api/bookings/{booking.pk}/cancel", {"version": 1}, format="json")
    assert r.status_code == 409 and r.json()["error"] == "version_conflict"


def test_a_reason_too_long_as_sent_is_a_400_even_when_trimming_would_shorten_it(api_a, restaurant):
    """The fuzzer's find: 200 characters after leading blanks passed max_length 200 (DRF trims first)."""
    booking = make_booking(restaurant)
    r = api_a.post(f"/api/bookings/{booking.pk}/cancel", {"reason": "  " + "x" * 200}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    assert Booking.objects.get(pk=booking.pk).state == booking.state
    r = api_a.post(f"/api/bookings/{booking.pk}/cancel", {"reason": " " + "x" * 199}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


@pytest.mark.parametrize("action", ["cancel", "patch"])
def test_a_version_whose_next_overflows_is_a_400_and_nothing_is_written(api_a, restaurant, action):
    """The fuzzer's find: version 2**31 - 1 passed the field and the transition's version + 1 overflowed (a 500)."""
    booking = make_booking(restaurant)
    path, body = f"/api/bookings/{booking.pk}", {"version": 2**31 - 1}
    if action == "cancel":
        r = api_a.post(f"{path}/cancel", body, format="json")
    else:
        r = api_a.patch(path, {**body, "party_size": 3}, format="json")
    assert r.status_code == 400 and "version" in r.json()["fields"]
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version, fresh.party_size) == (
        booking.state,
        booking.version,
        booking.party_size,
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"start_at": "9999-12-31T19:00:00+00:00"}, "start_at"),
        ({"start_at": f"{DAY_ISO}T04:00"}, "start_at"),
        ({"start_at": f"{DAY_ISO}T09:00"}, "start_at"),
        ({"start_at": f"{DAY_ISO}T12:99"}, "start_at"),
        ({"start_at": f"{DAY_ISO}T19:00+23:00"}, "start_at"),
        ({"restaurant": "a\u0000b"}, "restaurant"),
        ({"duration_minutes": 600}, "duration_minutes"),
        ({"tables": ["M1", "M2", "M3", "T1"]}, "tables"),
    ],
)
def test_holds_refuse_bad_input(api_a, restaurant, over, field):
    body = {
        "restaurant": restaurant.slug,
        "start_at": at("19:00").isoformat(),
        "tables": ["M1"],
        "ttl_seconds": 60,
    }
    body.update(over)
    r = api_a.post("/api/holds", body, format="json")
    assert r.status_code == 400 and field in r.json()["fields"], r.content
    assert not Hold.objects.exists()


@pytest.mark.parametrize(
    "query", ["date=9999-12-31", "date=0001-01-01", f"date={DAY_ISO}&restaurant=a%00b", "date=2026-13-01"]
)
def test_availability_refuses_bad_queries(api_a, restaurant, query):
    params = f"restaurant={restaurant.slug}&party_size=2&{query}"
    r = api_a.get(f"/api/availability?{params}")
    assert r.status_code == 400 and r.json()["error"] == "invalid", r.content
    assert DAY  # the fixtures' day is inside the horizon
    assert json.loads(r.content)["fields"]


def test_a_query_parameter_given_twice_is_a_400(api_a, restaurant):
    r = api_a.get(f"/api/availability?restaurant={restaurant.slug}&date={DAY_ISO}&party_size=2&party_size=4")
    assert r.status_code == 400 and r.json()["fields"] == {"party_size": ["Give this parameter once."]}
    s = api_a.get(f"/api/availability/stream?restaurant={restaurant.slug}&max_seconds=1&max_seconds=2")
    assert s.status_code == 400 and "max_seconds" in s.json()["fields"]


@pytest.mark.parametrize("value", ["true", "yes", 1, 0, None])
def test_booleans_in_a_body_are_json_booleans(api_a, restaurant, value):
    r = create(api_a, restaurant, needs_accessible=value)
    assert r.status_code == 400 and "needs_accessible" in r.json()["fields"]
    assert create(api_a, restaurant, needs_accessible=True).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [("guest_name", 0), ("notes", 1.5), ("external_ref", 7), ("preferred_zone", 1), ("guest_name", ["x"])],
)
def test_text_in_a_body_is_a_json_string(api_a, restaurant, field, value):
    r = create(api_a, restaurant, **{field: value})
    assert r.status_code == 400 and field in r.json()["fields"]
    assert not Booking.objects.exists()


def test_a_retried_create_with_other_guest_details_is_a_409_not_the_original(api_a, restaurant):
    """The same external_ref is a retry only when the whole request is the same (the API audit found a changed
    guest name, notes, access or e-mail answered 200 with the original, the change silently dropped)."""
    body = {
        "external_ref": "plat-77",
        "guest_name": "Ada",
        "notes": "window",
        "guest_phone": "+44 7700 900123",
    }
    first = create(api_a, restaurant, **body)
    assert first.status_code == 201
    assert (
        create(api_a, restaurant, **{**body, "guest_phone": "+447700900123"}).status_code == 200
    )  # same number
    for change in (
        {"guest_name": "Alan"},
        {"notes": ""},
        {"needs_accessible": True},
        {"guest_email": "ada@example.com"},
        {"guest_phone": "+44 7700 900124"},
        {"preferred_zone": "terrace"},
    ):
        r = create(api_a, restaurant, **{**body, **change})
        assert r.status_code == 409 and r.json()["original"] == first.json()["id"], (change, r.content)
    assert Booking.objects.count() == 1
    assert Booking.objects.get().guest_name == "Ada"


def test_a_retried_create_is_the_original_request_whatever_was_changed_on_the_booking_since(
    api_a, restaurant
):
    """The review of the check above: a host who corrects the guest's name, or a platform's own change of the
    party, must not turn a genuine retry of the create into a 409. The request is compared as it was made."""
    from assignments.services.bookings import booking_update_contact

    body = {"external_ref": "plat-78", "guest_name": "Ada", "guest_phone": "07700 900123"}
    first = create(api_a, restaurant, **body)
    assert first.status_code == 201
    booking = Booking.objects.get(pk=first.json()["id"])
    booking_update_contact(booking=booking, guest_name="Ada Lovelace", notes="allergic to nuts")
    assert api_a.patch(f"/api/bookings/{booking.pk}", {"party_size": 3}, format="json").status_code == 202

    again = create(api_a, restaurant, **body)
    assert again.status_code == 200 and again.json()["id"] == booking.pk
    assert create(api_a, restaurant, **{**body, "guest_name": "Alan"}).status_code == 409


def test_a_booking_made_before_the_fingerprint_is_compared_as_it_is(api_a, restaurant):
    first = create(api_a, restaurant, external_ref="plat-79", guest_name="Ada")
    Booking.objects.filter(pk=first.json()["id"]).update(request_fingerprint="")  # as migration 0019 left it
    assert create(api_a, restaurant, external_ref="plat-79", guest_name="Ada").status_code == 200
    assert create(api_a, restaurant, external_ref="plat-79", guest_name="Alan").status_code == 409
