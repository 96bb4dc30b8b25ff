"""A superuser opens a webhook subscription: its signing secret reads `whsec_…abcd`; Rotate secret… asks first,
saying the old one stops working, then shows the new secret once; a refresh of that page (the browser posts the
form again) rotates nothing and says it was already rotated. Screenshots (1366x768):
artifacts/screenshots/webhook-secret-masked.png, webhook-secret-rotate-confirm.png, webhook-secret-rotated.png,
webhook-secret-already-rotated.png."""

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
