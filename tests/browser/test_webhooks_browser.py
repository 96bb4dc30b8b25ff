"""Ops staff open the webhook delivery log, find the given-up deliveries, redeliver one, and see it queued
again; the log and the scheduled optimizer's runs are saved as screenshots (artifacts/webhook-deliveries.png,
artifacts/optimizer-runs.png) at 1366x768."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from assignments import lifecycle
from assignments.services import outbox
from optimization.models import OptimizerRun, OptimizerSchedule
from tests.factories import DAY, grant, make_booking
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_subscription_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deliveries(restaurant):
    platform = grant(
        User.objects.create_user("table-booker"), restaurant
    )  # tenancy: it hears of its restaurant
    ok = webhook_subscription_create(
        owner=platform,
        url="https://hooks.table-booker.example/maitre",
        event_types=["booking.confirmed", "booking.cancelled"],
    )
    down = webhook_subscription_create(
        owner=platform, url="https://old.table-booker.example/hook", event_types=[]
    )
    for i, start in enumerate(("19:00", "19:30", "20:00")):
        b = make_booking(restaurant, start=start, guest_name=f"Guest {i}")
        lifecycle.booking_request_assignment(booking=b)
        lifecycle.booking_confirm(booking=b, tables=["M1" if i != 1 else "M2"], strategy="best_fit")
    outbox.outbox_relay(publish=lambda events: None)
    now = timezone.now()
    WebhookDelivery.objects.filter(subscription=ok).update(
        status="delivered", attempts=1, last_status_code=204, delivered_at=now
    )
    WebhookDelivery.objects.filter(subscription=down, event__event_type="booking.created").update(
        status="failed", attempts=14, last_status_code=503, last_error="HTTP 503"
    )
    WebhookDelivery.objects.filter(subscription=down).exclude(status="failed").update(
        attempts=3,
        last_status_code=None,
        next_attempt_at=now + timedelta(minutes=4),
        last_error="URLError: <urlopen error [Errno 111] Connection refused>",
    )


def _login(page, live_server, next_url, restaurant):
    user = grant(
        User.objects.create_user("ops", password="s3cret-pass", is_staff=True), restaurant, role="manager"
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["webhooks", "optimization"], codename__startswith="view_"
        )
        | Permission.objects.filter(codename="change_webhookdelivery")
    )
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_ops_redeliver_a_given_up_webhook_from_the_delivery_log(
    live_server, browser_page, restaurant, artifacts_dir
):
    _deliveries(restaurant)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server, "/admin/webhooks/webhookdelivery/", restaurant)
    page.screenshot(path=str(artifacts_dir / "webhook-deliveries.png"), full_page=False)

    page.click("#changelist-filter a:has-text('given up')")
    page.wait_for_url(re.compile(r"status__exact=failed"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3 and all("given up" in rows.nth(i).inner_text() for i in range(3))
    assert "HTTP 503" in rows.first.inner_text()
    first_id = int(rows.first.locator(".field-id").inner_text())
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "redeliver")
    page.click("button[name=index]")
    assert "1 delivery queued again." in page.inner_text(".messagelist")
    redelivered = WebhookDelivery.objects.get(pk=first_id)
    assert redelivered.status == "pending" and redelivered.next_attempt_at <= timezone.now()


def test_the_optimizer_runs_are_readable_at_a_glance(live_server, browser_page, restaurant, artifacts_dir):
    schedule = OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(15, 0))
    OptimizerSchedule.objects.create(restaurant=restaurant, run_at=time(18, 30))
    OptimizerRun.objects.create(
        restaurant=restaurant,
        schedule=schedule,
        day=DAY,
        status="applied",
        applied=True,
        improvement=0.142,
        covers_before=118,
        covers_after=126,
        moved=5,
        newly_seated=2,
        frozen=0,
        reason="improvement +14.2% >= 10%",
        finished_at=timezone.now(),
    )
    OptimizerRun.objects.create(
        restaurant=restaurant,
        schedule=schedule,
        day=DAY - timedelta(days=1),
        status="below_threshold",
        improvement=0.031,
        covers_before=131,
        covers_after=133,
        moved=3,
        frozen=12,
        reason="improvement +3.1% is below the 10% required",
        finished_at=timezone.now(),
    )
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server, "/admin/optimization/optimizerrun/", restaurant)
    page.screenshot(path=str(artifacts_dir / "optimizer-runs.png"), full_page=False)
    text = page.inner_text("#result_list")
    assert "+14.2%" in text and "118 → 126" in text and "gain too small" in text
