"""A superuser adds a webhook subscription in the admin for an API client that is only a host at the restaurant:
the form refuses it on the owner field, saying why (the relay would never deliver to it), and nothing is saved.
Screenshot (1366x768): artifacts/screenshots/webhook-owner-refused.png."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import sign_in_as_manager
from tests.factories import grant
from webhooks.models import WebhookSubscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_host_owned_subscription_is_refused_with_the_reason(
    live_server, browser_page, restaurant, artifacts_dir
):
    users = get_user_model()
    host = users.objects.create_user("front-desk-tablet")
    grant(host, restaurant, role="host")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    add = "/admin/webhooks/webhooksubscription/add/"
    sign_in_as_manager(page, live_server, add)
    page.select_option("#id_owner", label="front-desk-tablet")
    page.select_option("#id_restaurant", value=str(restaurant.pk))
    page.fill("#id_url", "https://hooks.example.com/maitre")
    page.click("input[name=_save]")
    error = page.locator(".field-owner .errorlist")
    error.wait_for()
    assert "is not a booking platform or a manager at" in error.inner_text()
    assert error.is_visible() and error.bounding_box()["width"] > 200
    page.screenshot(path=str(artifacts_dir / "webhook-owner-refused.png"))
    assert not WebhookSubscription.objects.exists()
