"""A guest's phone in the console: found by any run of its digits, shown as a host reads it, edited through the
contact service (refused with why, nothing written)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assignments.models import Booking
from tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_the_console_finds_a_guest_by_digits_and_a_host_edits_the_number(restaurant, assigner):
    ada = make_booking(restaurant, start="19:00", guest_name="Ada")
    Booking.objects.filter(pk=ada.pk).update(guest_phone="+447700900123")
    alan = make_booking(restaurant, start="19:30", guest_name="Alan")
    Booking.objects.filter(pk=alan.pk).update(guest_phone="02079460958")
    client = Client()
    client.force_login(assigner)
    listing = reverse("admin:assignments_booking_changelist")

    def found(term: str) -> set[int]:
        return {b.pk for b in client.get(listing, {"q": term}).context["cl"].result_list}

    assert found("7700 900 123") == {ada.pk}
    assert found("07700 900123") == {ada.pk}  # typed nationally, kept with its country code
    assert found("0958") == {alan.pk}
    assert found("Alan") == {alan.pk}

    page = reverse("admin:assignments_booking_change", args=[ada.pk])
    html = client.get(page).content.decode()
    assert 'value="+44 7700 900123"' in html  # as a host reads it
    management = dict(
        re.findall(r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)" value="(\d+)"', html)
    )
    assert management  # the page's inlines: posted back as the browser would
    form = {**management, "guest_name": "Ada", "guest_email": "", "guest_phone": "+44 12", "notes": ""}
    refused = client.post(page, form)
    assert refused.status_code == 200 and "5 to 15 digits" in refused.content.decode()
    assert Booking.objects.get(pk=ada.pk).guest_phone == "+447700900123"
    client.post(page, {**form, "guest_phone": "07700 900 999"})
    assert Booking.objects.get(pk=ada.pk).guest_phone == "07700900999"
