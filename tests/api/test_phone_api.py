"""A guest's phone through the API: kept in E.164, refused with a 400 that names the field, nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import Booking
from tests.factories import DAY_ISO

pytestmark = pytest.mark.django_db


def test_the_api_keeps_a_phone_and_refuses_a_bad_one_writing_nothing(api_a, restaurant):
    url = reverse("booking-create")
    body = {"restaurant": restaurant.slug, "party_size": 2, "start_at": f"{DAY_ISO}T19:00:00+00:00"}

    ok = api_a.post(url, {**body, "guest_phone": "+44 7700 900123"}, format="json")
    assert ok.status_code == 201, ok.json()
    assert Booking.objects.get(pk=ok.json()["id"]).guest_phone == "+447700900123"

    before = Booking.objects.count()
    for bad in ("+1 212 555", "+1 2125550", "call me", 7700900123, "1" * 41):
        answer = api_a.post(url, {**body, "guest_phone": bad}, format="json")
        assert answer.status_code == 400 and answer["Content-Type"].startswith("application/json"), bad
        assert "guest_phone" in str(answer.json()), answer.json()
    assert Booking.objects.count() == before
