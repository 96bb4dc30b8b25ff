"""A host of one restaurant logs in through the admin's form (django-axes in front) and sees only that
restaurant's bookings, in the list and in the restaurant filter. Screenshot: artifacts/admin-scoped-bookings.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from tests.admin.conftest import VIEW_PERMS
from tests.factories import FloorFactory, grant, make_booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_host_sees_only_their_restaurant(live_server, browser_page, restaurant, artifacts_dir):
    other = FloorFactory.small()
    other.name = "Chez Rival"
    other.save()
    restaurant.name = "Maison Host"
    restaurant.save()
    for name, start in (("Ada Lovelace", "19:00"), ("Alan Turing", "19:30"), ("Grace Hopper", "20:00")):
        make_booking(restaurant, guest_name=name, start=start, external_ref=f"MH-{start}")
    make_booking(other, guest_name="Rival Guest", start="19:00", external_ref="CR-1")
    user = grant(
        User.objects.create_user("host", password="s3cret-pass", is_staff=True), restaurant, role="host"
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="assignments", codename__in=VIEW_PERMS)
    )

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/assignments/booking/")
    page.fill("#id_username", "host")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_selector("#result_list")
    text = page.inner_text("body")
    assert "Ada Lovelace" in text and "Grace Hopper" in text
    assert "Rival Guest" not in text and "Chez Rival" not in text
    page.screenshot(path=str(artifacts_dir / "admin-scoped-bookings.png"))
