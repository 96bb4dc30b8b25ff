"""POST/DELETE /api/holds and GET /api/availability: answers, every 400, 401, 404, 409."""

from __future__ import annotations

import pytest

from assignments.models import Hold, TableAllocation
from tests.factories import DAY, DAY_ISO, at, make_booking

pytestmark = pytest.mark.django_db


def hold_body(r, **over):
    body = {"restaurant": r.slug, "start_at": at("19:00").isoformat(), "tables": ["M1"], "ttl_seconds": 60}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_hold_created_with_tables(api, restaurant):
    r = api.post("/api/holds", hold_body(restaurant), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["tables"] == ["M1"] and body["restaurant"] == restaurant.slug
    assert (
        Hold.objects.get(pk=body["id"]).expires_at.isoformat().replace("+00:00", "Z")[:19]
        == body["expires_at"][:19]
    )
    assert {"id", "tables", "expires_at", "start_at", "end_at"} <= set(body)


def test_hold_created_by_party_size_with_a_local_time(api, restaurant):
    r = api.post(
        "/api/holds",
        hold_body(restaurant, tables=None, party_size=4, start_at=f"{DAY_ISO}T19:00"),
        format="json",
    )
    assert r.status_code == 201, r.content
    hold = Hold.objects.get(pk=r.json()["id"])
    assert hold.start_at == at("19:00")  # read in the restaurant's time zone
    assert r.json()["tables"] in (["M2"], ["M3"], ["T1"])


def test_hold_for_a_booking_takes_its_party_size(api, restaurant):
    booking = make_booking(restaurant, party_size=6, start="19:00")
    r = api.post("/api/holds", hold_body(restaurant, tables=None, booking=booking.pk), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["party_size"] == 6 and r.json()["booking"] == booking.pk


def test_a_taken_table_is_a_409_in_json(api, restaurant):
    assert api.post("/api/holds", hold_body(restaurant), format="json").status_code == 201
    r = api.post("/api/holds", hold_body(restaurant, start_at=at("19:30").isoformat()), format="json")
    assert r.status_code == 409
    assert r.json()["error"] == "conflict" and "M1" in r.json()["detail"]
    assert Hold.objects.count() == 1


def test_no_plan_for_the_party_is_a_409(api, restaurant):
    for label in ("M2", "M3", "T1"):
        assert api.post("/api/holds", hold_body(restaurant, tables=[label]), format="json").status_code == 201
    r = api.post("/api/holds", hold_body(restaurant, tables=None, party_size=4), format="json")
    assert r.status_code == 409 and r.json()["error"] == "conflict"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"restaurant": "nowhere"}, "restaurant"),
        ({"restaurant": None}, "restaurant"),
        ({"start_at": "tomorrow at seven"}, "start_at"),
        ({"start_at": None}, "start_at"),
        ({"ttl_seconds": 9}, "ttl_seconds"),
        ({"ttl_seconds": 901}, "ttl_seconds"),
        ({"ttl_seconds": "long"}, "ttl_seconds"),
        ({"tables": None}, "party_size"),
        ({"tables": None, "party_size": 0}, "party_size"),
        ({"tables": []}, "tables"),
        ({"tables": ["M1", "ZZ9"]}, "tables"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"booking": 999999}, "booking"),
    ],
)
def test_every_bad_hold_request_is_a_400_with_the_field(api, restaurant, over, field):
    r = api.post("/api/holds", hold_body(restaurant, **over), format="json")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["error"] == "invalid" and field in body["fields"]
    assert not Hold.objects.exists() and not TableAllocation.objects.exists()


def test_delete_hold_is_204_then_404(api, restaurant):
    hold_id = api.post("/api/holds", hold_body(restaurant), format="json").json()["id"]
    assert api.delete(f"/api/holds/{hold_id}").status_code == 204
    assert not Hold.objects.exists() and not TableAllocation.objects.exists()
    r = api.delete(f"/api/holds/{hold_id}")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_availability_answer(api, restaurant):
    api.post("/api/holds", hold_body(restaurant, tables=["M2"]), format="json")
    r = api.get(
        "/api/availability", {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 4}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["include_holds"] is True and body["reason"] is None and body["version"]
    seven = next(s for s in body["slots"] if s["start_at"] == at("19:00").isoformat())
    assert ["M2"] not in seven["plans"] and seven["largest_party"] == 6 and seven["free_tables"] == 3
    assert seven["as_of"] and seven["version"] == body["version"]
    r = api.get(
        "/api/availability",
        {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 4, "include_holds": "false"},
    )
    seven = next(s for s in r.json()["slots"] if s["start_at"] == at("19:00").isoformat())
    assert ["M2"] in seven["plans"]


def test_availability_for_a_party_too_large(api, restaurant):
    r = api.get(
        "/api/availability", {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 40}
    )
    assert r.status_code == 200
    assert r.json()["slots"] == [] and r.json()["reason"] == "party_too_large"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"restaurant": "nowhere"}, "restaurant"),
        ({"restaurant": None}, "restaurant"),
        ({"date": "2026-13-45"}, "date"),
        ({"date": "saturday"}, "date"),
        ({"date": None}, "date"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": -3}, "party_size"),
        ({"party_size": "four"}, "party_size"),
        ({"party_size": None}, "party_size"),
        ({"include_holds": "perhaps"}, "include_holds"),
    ],
)
def test_every_bad_availability_query_is_a_400_with_the_field(api, restaurant, params, field):
    query = {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 2, **params}
    r = api.get("/api/availability", {k: v for k, v in query.items() if v is not None})
    assert r.status_code == 400, r.content
    assert r.json()["error"] == "invalid" and field in r.json()["fields"]


def test_bad_stream_query_is_a_400(api, restaurant):
    r = api.get("/api/availability/stream", {"restaurant": "nowhere"})
    assert r.status_code == 400 and "restaurant" in r.json()["fields"]
    r = api.get("/api/availability/stream", {"restaurant": restaurant.slug, "max_seconds": 99999})
    assert r.status_code == 400 and "max_seconds" in r.json()["fields"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/holds"),
        ("delete", "/api/holds/1"),
        ("get", "/api/availability"),
        ("get", "/api/availability/stream"),
    ],
)
def test_without_credentials_is_a_401(anon, restaurant, method, url):
    r = getattr(anon, method)(url, {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 2})
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"


def test_a_bad_token_is_a_401(anon, restaurant):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    r = anon.get(
        "/api/availability", {"restaurant": restaurant.slug, "date": DAY.isoformat(), "party_size": 2}
    )
    assert r.status_code == 401 and r.json()["error"] == "authentication_failed"
