"""Two tenants against every endpoint: another tenant's booking, hold, restaurant, stream or admin row is as
unknown as a missing one (404 / unknown restaurant), and nothing of it changes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from assignments import lifecycle
from assignments.models import Booking, BookingState, BookingStateHistory, Hold
from assignments.services.holds import hold_create
from tenancy.selectors import restaurants_for_user
from tests.api.conftest import token_client
from tests.factories import DAY_ISO, at, grant, make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking_a(restaurant):
    return make_booking(restaurant, external_ref="A-1", guest_name="Ada Lovelace")


def _untouched(booking):
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version, fresh.party_size) == (
        booking.state,
        booking.version,
        booking.party_size,
    )
    assert BookingStateHistory.objects.filter(booking=booking).count() == booking.version


def test_the_owner_reads_its_booking(api_a, booking_a):
    r = api_a.get(f"/api/bookings/{booking_a.pk}")
    assert r.status_code == 200 and r.json()["guest_name"] == "Ada Lovelace"


def test_another_tenant_cannot_read_patch_cancel_or_process_a_booking(api_b, booking_a):
    for r in (
        api_b.get(f"/api/bookings/{booking_a.pk}"),
        api_b.patch(f"/api/bookings/{booking_a.pk}", {"party_size": 3}, format="json"),
        api_b.post(f"/api/bookings/{booking_a.pk}/cancel", {}, format="json"),
        api_b.post(
            "/api/assignments/process", {"bookingId": booking_a.pk, "trigger": "retry"}, format="json"
        ),
    ):
        assert r.status_code == 404, r.content
        assert r.json() == {"error": "not_found", "detail": "No such resource."}  # same as a missing id
        assert "Ada" not in r.content.decode()
    _untouched(booking_a)
    missing = api_b.get(f"/api/bookings/{booking_a.pk + 1000}")
    assert missing.status_code == 404 and missing.json() == api_b.get(f"/api/bookings/{booking_a.pk}").json()


def test_walking_ids_reads_nothing_of_another_tenant(api_b, restaurant):
    ids = [make_booking(restaurant, start=t).pk for t in ("18:00", "19:00", "20:00")]
    assert all(
        api_b.get(f"/api/bookings/{pk}").status_code == 404 for pk in range(min(ids) - 2, max(ids) + 3)
    )


def test_another_tenant_cannot_create_at_a_restaurant_it_does_not_serve(api_b, restaurant):
    body = {"restaurant": restaurant.slug, "party_size": 2, "start_at": at("19:00").isoformat()}
    r = api_b.post("/api/bookings", body, format="json")
    assert r.status_code == 400 and "restaurant" in r.json()["fields"]
    assert not Booking.objects.exists()


def test_external_ref_of_another_tenant_is_not_returned(api_b, restaurant_b, booking_a):
    body = {
        "restaurant": restaurant_b.slug,
        "party_size": 2,
        "start_at": at("19:00").isoformat(),
        "external_ref": "A-1",
    }
    r = api_b.post("/api/bookings", body, format="json")
    assert (
        r.status_code == 201
        and r.json()["id"] != booking_a.pk
        and r.json()["restaurant"] == restaurant_b.slug
    )


def test_holds_are_scoped(api_a, api_b, restaurant, platform_a):
    body = {
        "restaurant": restaurant.slug,
        "start_at": at("19:00").isoformat(),
        "tables": ["M1"],
        "ttl_seconds": 60,
    }
    assert api_b.post("/api/holds", body, format="json").status_code == 400
    assert not Hold.objects.exists()
    hold = hold_create(
        restaurant=restaurant,
        start_at=at("19:00"),
        table_labels=["M1"],
        ttl_seconds=60,
        created_by=platform_a,
    )
    assert api_b.delete(f"/api/holds/{hold.pk}").status_code == 404
    assert Hold.objects.filter(pk=hold.pk).exists()
    assert api_a.delete(f"/api/holds/{hold.pk}").status_code == 204
    assert not Hold.objects.filter(pk=hold.pk).exists()


def test_a_client_cannot_release_another_clients_hold_at_a_shared_restaurant(api_a, restaurant, platform_b):
    grant(platform_b, restaurant)
    hold = hold_create(
        restaurant=restaurant,
        start_at=at("19:00"),
        table_labels=["M1"],
        ttl_seconds=60,
        created_by=platform_b,
    )
    assert api_a.delete(f"/api/holds/{hold.pk}").status_code == 404
    assert Hold.objects.filter(pk=hold.pk).exists()


def test_availability_and_stream_are_scoped(api_a, api_b, restaurant):
    query = f"restaurant={restaurant.slug}&date={DAY_ISO}&party_size=2"
    assert api_a.get(f"/api/availability?{query}").status_code == 200
    r = api_b.get(f"/api/availability?{query}")
    assert r.status_code == 400 and "restaurant" in r.json()["fields"]
    s = api_b.get(f"/api/availability/stream?restaurant={restaurant.slug}&max_seconds=1")
    assert s.status_code == 400 and "restaurant" in s.json()["fields"]


def test_superuser_sees_every_restaurant(restaurant, restaurant_b, booking_a):
    root = get_user_model().objects.create_superuser("root", password="x")
    assert set(restaurants_for_user(root)) == {restaurant, restaurant_b}
    assert token_client(root).get(f"/api/bookings/{booking_a.pk}").status_code == 200


def test_restaurants_for_user(restaurant, restaurant_b, platform_a):
    assert list(restaurants_for_user(platform_a)) == [restaurant]
    assert not restaurants_for_user(None).exists()
    platform_a.is_active = False
    assert not restaurants_for_user(platform_a).exists()


def test_create_api_client_prints_a_token_for_its_restaurants_only(
    restaurant, restaurant_b, capsys, booking_a
):
    call_command("create_api_client", "partner", "--restaurant", restaurant_b.slug)
    token = capsys.readouterr().out.strip()
    assert len(token) == 40
    client = token_client(get_user_model().objects.get(username="partner"))
    assert client.get(f"/api/bookings/{booking_a.pk}").status_code == 404
    body = {"restaurant": restaurant_b.slug, "party_size": 2, "start_at": at("19:00").isoformat()}
    assert client.post("/api/bookings", body, format="json").status_code == 201


def test_create_api_client_refuses_an_unknown_restaurant():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nope"):
        call_command("create_api_client", "partner", "--restaurant", "nope")
    assert not get_user_model().objects.filter(username="partner").exists()


# ---- the admin ----------------------------------------------------------------------------------------------
@pytest.fixture
def host_b(restaurant_b):
    user = get_user_model().objects.create_user("host_b", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="assignments",
            codename__in=[
                "view_booking",
                "view_reviewbooking",
                "view_restaurant",
                "assign_booking",
                "view_hold",
                "view_bookingstatehistory",
            ],
        )
    )
    grant(user, restaurant_b, role="host")
    client = Client()
    client.force_login(user)
    return client


def test_admin_lists_only_the_staff_members_restaurants(host_b, restaurant, restaurant_b, booking_a):
    mine = make_booking(restaurant_b, external_ref="B-1", guest_name="Grace Hopper")
    page = host_b.get("/admin/assignments/booking/").content.decode()
    assert "Grace Hopper" in page and "Ada Lovelace" not in page
    assert restaurant.name not in host_b.get("/admin/assignments/restaurant/").content.decode()
    history = host_b.get("/admin/assignments/bookingstatehistory/").content.decode()
    assert "A-1" not in history and "B-1" in history
    assert mine.pk


def test_admin_pages_and_actions_of_another_restaurant_are_refused(host_b, restaurant, booking_a):
    lifecycle.booking_request_assignment(booking=booking_a)
    lifecycle.booking_send_to_review(booking=booking_a, reason="test")
    booking_a.refresh_from_db()
    change = host_b.get(f"/admin/assignments/booking/{booking_a.pk}/change/")
    assert change.status_code == 302  # the admin's "does not exist" redirect
    assert host_b.get(f"/admin/assignments/booking/{booking_a.pk}/assign/").status_code == 404
    assert host_b.post(f"/admin/assignments/booking/{booking_a.pk}/retry/").status_code == 404
    assert (
        host_b.post(f"/admin/assignments/booking/{booking_a.pk}/cancel/", {"reason": "x"}).status_code == 404
    )
    assert host_b.get(f"/admin/assignments/restaurant/{restaurant.pk}/timeline/").status_code == 404
    for action in ("retry_selected", "cancel_selected"):
        host_b.post(
            "/admin/assignments/booking/",
            {"action": action, "_selected_action": [booking_a.pk], "confirm": "yes"},
        )
        host_b.post(
            "/admin/assignments/reviewbooking/",
            {"action": action, "_selected_action": [booking_a.pk], "confirm": "yes"},
        )
    fresh = Booking.objects.get(pk=booking_a.pk)
    assert fresh.state == BookingState.MANUAL_REVIEW and fresh.version == booking_a.version
