"""The DB change plan: the dry-run artifact names the unapplied migrations, their SQL and the rollback;
rollback with its data clean-up, forward, back and forward again on Postgres with data in the tables."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from assignments import lifecycle
from assignments.models import OutboxEvent
from assignments.services import outbox
from tests.factories import make_booking

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BACK = [("webhooks", "zero"), ("optimization", "zero"), ("assignments", "0006_queue_of_record")]


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def test_the_plan_lists_unapplied_migrations_with_sql_and_rollback(tmp_path):
    out = tmp_path / "db-diff.txt"
    call_command("migrate", "webhooks", "zero", verbosity=0)
    try:
        call_command("db_change_plan", out=str(out), stdout=open("/dev/null", "w"))  # noqa: SIM115
        text = out.read_text()
    finally:
        call_command("migrate", verbosity=0)
    assert "- webhooks.0001_initial  [reversible]" in text
    assert 'CREATE TABLE "webhooks_webhooksubscription"' in text
    assert "python manage.py migrate webhooks zero" in text and "pg_dump" in text

    call_command("db_change_plan", out=str(out), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert "No unapplied migrations" in out.read_text()


@pytest.mark.slow
def test_forward_back_with_clean_up_and_forward_again_keeps_the_bookings_and_their_emails(
    restaurant, tmp_path
):
    from tenancy.services import membership_grant
    from webhooks.services import webhook_subscription_create

    platform = User.objects.create_user("platform")
    membership_grant(user=platform, restaurant=restaurant)
    webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/h", event_types=[])
    b = make_booking(restaurant)
    b.guest_email = "ada@example.com"
    b.save(update_fields=["guest_email"])
    lifecycle.booking_request_assignment(booking=b)
    lifecycle.booking_confirm(booking=b, tables=["M1"], strategy="best_fit")
    outbox.outbox_relay(publish=lambda events: None)
    events = OutboxEvent.objects.count()
    confirmed = OutboxEvent.objects.get(event_type="booking.confirmed")

    exported = tmp_path / "hooks.jsonl"
    call_command("db_rollback_cleanup", webhooks_out=str(exported), stdout=open("/dev/null", "w"))  # noqa: SIM115
    confirmed.refresh_from_db()
    assert confirmed.published_at is None  # the old relay will publish it again, and e-mail the guest
    assert len(exported.read_text().splitlines()) == events
    assert json.loads(exported.read_text().splitlines()[0])["url"] == "http://127.0.0.1:8141/h"

    for app, target in BACK:
        call_command("migrate", app, target, verbosity=0)
    assert (
        not {"webhooks_webhookdelivery", "assignments_emaildelivery", "optimization_optimizerrun"} & _tables()
    )
    assert (
        OutboxEvent.objects.count() == events
        and OutboxEvent.objects.filter(published_at__isnull=True).count() == 1
    )

    call_command("migrate", verbosity=0)
    assert {"webhooks_webhookdelivery", "assignments_emaildelivery", "optimization_optimizerrun"} <= _tables()
    assert (
        outbox.outbox_relay(publish=lambda events: None) == 1
    )  # forward again: the e-mail is owed once more
    from assignments.models import EmailDelivery

    assert list(EmailDelivery.objects.values_list("event_id", flat=True)) == [confirmed.pk]
