"""A superuser opens a webhook subscription: its signing secret reads `whsec_…abcd`; Rotate secret… asks first,
saying the old one stops working, then shows the new secret once; a refresh of that page (the browser posts the
form again) rotates nothing and says it was already rotated, by whom and when. Screenshots (1366x768):
artifacts/screenshots/webhook-secret-masked.png, webhook-secret-rotate-confirm.png, webhook-secret-rotated.png,
webhook-secret-already-rotated.png, webhook-secret-rotated-by-someone.png."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import sign_in_as_manager
from tests.factories import grant
from webhooks.admin import ALREADY_ROTATED
from webhooks.models import WebhookSubscription
from webhooks.services import webhook_subscription_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_secret_is_masked_and_rotated_once_shown(live_server, browser_page, restaurant, artifacts_dir):
    platform = grant(get_user_model().objects.create_user("table-booker"), restaurant)
    sub = webhook_subscription_create(
        owner=platform,
        url="https://hooks.table-booker.example/maitre",
        event_types=["booking.confirmed", "booking.cancelled"],
        restaurant=restaurant,
        description="Table Booker production endpoint",
    )
    old = sub.secret
    page = browser_page
    change = f"/admin/webhooks/webhooksubscription/{sub.pk}/change/"
    sign_in_as_manager(page, live_server, change)

    field = page.locator(".field-signing_secret")
    assert f"whsec_…{old[-4:]}" in field.inner_text()
    assert old not in page.content()
    page.screenshot(path=str(artifacts_dir / "webhook-secret-masked.png"))

    page.click("text=Rotate secret…")
    page.wait_for_url(f"**/{sub.pk}/rotate-secret/")
    assert "stops working at once" in page.inner_text("#content-main")
    page.screenshot(path=str(artifacts_dir / "webhook-secret-rotate-confirm.png"))

    page.click("input[value='Yes, rotate the secret']")
    shown = page.locator("#new-secret")
    shown.wait_for()
    new = WebhookSubscription.objects.get(pk=sub.pk).secret
    assert new != old and shown.input_value() == new
    assert shown.bounding_box()["width"] > 300  # the whole secret readable at once
    page.screenshot(path=str(artifacts_dir / "webhook-secret-rotated.png"))

    page.reload()  # the browser posts the confirmation again
    page.wait_for_selector("text=Rotate again")
    assert ALREADY_ROTATED in page.inner_text("#content-main")
    assert (
        WebhookSubscription.objects.get(pk=sub.pk).secret == new
    )  # the secret just copied is still in force
    assert new not in page.content() and f"whsec_…{new[-4:]}" in page.inner_text("#content-main")
    page.screenshot(path=str(artifacts_dir / "webhook-secret-already-rotated.png"))

    page.click("text=Back to the subscription")
    page.wait_for_url(f"**{change}")
    assert new not in page.content() and f"whsec_…{new[-4:]}" in field.inner_text()


def test_the_one_who_confirmed_second_is_told_who_rotated_it_and_when(
    live_server, browser_page, restaurant, artifacts_dir
):
    """Two managers on the same confirmation: the other one's rotation lands first (over the admin, as the
    browser would post it); this one's click rotates nothing and the answer names them and the time, in the
    restaurant's time zone, the secret only masked. Screenshot: webhook-secret-rotated-by-someone.png."""
    import re

    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.utils.timezone import localtime

    platform = grant(get_user_model().objects.create_user("table-booker"), restaurant)
    sub = webhook_subscription_create(
        owner=platform,
        url="https://hooks.table-booker.example/maitre",
        event_types=["booking.confirmed"],
        restaurant=restaurant,
        description="Table Booker production endpoint",
    )
    page = browser_page
    rotate = f"/admin/webhooks/webhooksubscription/{sub.pk}/rotate-secret/"
    sign_in_as_manager(page, live_server, rotate)
    assert "stops working at once" in page.inner_text("#content-main")

    other = get_user_model().objects.create_user(
        "night-manager", password="pw", is_staff=True, first_name="Grace", last_name="Hopper"
    )
    other.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    grant(other, restaurant, role="manager")
    theirs = Client()
    theirs.force_login(other)
    form = re.search(r'name="confirmed_for" value="([0-9a-f]+)"', theirs.get(rotate).content.decode()).group(
        1
    )
    assert theirs.post(rotate, {"confirmed_for": form}).status_code == 200
    new = WebhookSubscription.objects.get(pk=sub.pk).secret

    page.click("input[value='Yes, rotate the secret']")
    page.wait_for_selector("#rotated-by")
    entry = LogEntry.objects.get(object_id=str(sub.pk))
    when = localtime(entry.action_time, restaurant.tzinfo)
    said = page.inner_text("#rotated-by")
    assert said == (
        f"It was rotated by Grace Hopper (night-manager) at {when:%H:%M:%S} on {when:%a} {when.day}"
        f" {when:%b %Y}, Europe/London time."
    ), said
    assert WebhookSubscription.objects.get(pk=sub.pk).secret == new  # theirs stands
    assert new not in page.content() and f"whsec_…{new[-4:]}" in page.inner_text("#content-main")
    page.screenshot(path=str(artifacts_dir / "webhook-secret-rotated-by-someone.png"))
