"""A subscription's signing secret in the admin: masked for everyone ("whsec_…abcd"), never in a page's HTML;
a superuser or a manager of its restaurant rotates it after a confirmation and is shown the new one once; the
rotation is in the subscription's history with who did it; deliveries sent after it are signed with the new
secret and the old one verifies nothing more. A confirmation rotates once: re-posting it (a refresh of the
answer), a stale one, or two people confirming at the same moment rotate nothing more and reveal nothing."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.utils.timezone import localtime
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from assignments import lifecycle
from assignments.services import outbox
from tests.factories import FloorFactory, grant, make_booking
from webhooks.admin import ALREADY_ROTATED, ROTATED_MESSAGE
from webhooks.models import WebhookDelivery, WebhookSubscription, secret_fingerprint
from webhooks.services import (
    webhook_delivery_send,
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/webhooks/webhooksubscription/"


def change_url(sub) -> str:
    return f"{CHANGELIST}{sub.pk}/change/"


def rotate_url(sub) -> str:
    return f"{CHANGELIST}{sub.pk}/rotate-secret/"


def confirmation(client, sub) -> dict[str, str]:
    """The form data of the confirmation page, as the browser posts it: bound to the secret it was shown for."""
    page = client.get(rotate_url(sub)).content.decode()
    return {"confirmed_for": re.search(r'name="confirmed_for" value="([0-9a-f]+)"', page).group(1)}


def staff(name: str, restaurant, role: str) -> tuple[Client, object]:
    """A staff member with every webhooks permission, holding `role` at the restaurant."""
    user = get_user_model().objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhooks"))
    grant(user, restaurant, role=role)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def subscription(restaurant):
    platform = grant(get_user_model().objects.create_user("table-booker"), restaurant)
    return webhook_subscription_create(
        owner=platform, url="https://hooks.example.com/maitre", event_types=[], restaurant=restaurant
    )


def test_no_page_shows_the_secret_only_its_last_four_characters(restaurant, subscription):
    secret = subscription.secret
    host, _ = staff("host-ops", restaurant, "host")
    manager, _ = staff("floor-manager", restaurant, "manager")
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    for client in (host, manager, root):
        for url in (CHANGELIST, change_url(subscription), f"{CHANGELIST}{subscription.pk}/history/"):
            page = client.get(url)
            assert page.status_code == 200, url
            assert secret not in page.content.decode(), url
            assert secret[6:30] not in page.content.decode(), url  # nor any long part of it
        page = client.get(change_url(subscription)).content.decode()
        assert f"whsec_…{secret[-4:]}" in page
        assert 'name="secret"' not in page


def test_a_host_can_neither_rotate_nor_set_the_secret(restaurant, subscription):
    host, _ = staff("host-ops", restaurant, "host")
    secret = subscription.secret
    assert rotate_url(subscription) not in host.get(change_url(subscription)).content.decode()
    assert host.get(rotate_url(subscription)).status_code == 403
    assert host.post(rotate_url(subscription)).status_code == 403
    saved = host.post(
        change_url(subscription),
        {
            "owner": subscription.owner_id,
            "url": subscription.url,
            "restaurant": restaurant.pk,
            "event_types": "[]",
            "is_active": "on",
            "secret": "whsec_chosen-by-the-host",
        },
    )
    assert saved.status_code == 302  # the rest of the form saves; the secret is not a field of it
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == secret


def test_a_manager_elsewhere_does_not_even_find_it(restaurant, subscription):
    other, _ = staff("manager-b", FloorFactory.small(), "manager")
    assert other.get(rotate_url(subscription)).status_code == 404
    assert other.post(rotate_url(subscription)).status_code == 404
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == subscription.secret


def test_a_manager_rotates_it_sees_the_new_one_once_and_the_history_says_who(restaurant, subscription):
    manager, user = staff("floor-manager", restaurant, "manager")
    old = subscription.secret
    assert rotate_url(subscription) in manager.get(change_url(subscription)).content.decode()
    confirm = manager.get(rotate_url(subscription)).content.decode()
    assert "stops working at once" in confirm and old not in confirm
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == old  # a GET changes nothing

    answer = manager.post(rotate_url(subscription), confirmation(manager, subscription))

    new = WebhookSubscription.objects.get(pk=subscription.pk).secret
    assert new != old and new.startswith("whsec_")
    shown = answer.content.decode()
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    assert new in shown and old not in shown and "previous signing secret stopped working" in shown
    page = manager.get(change_url(subscription)).content.decode()
    assert new not in page and f"whsec_…{new[-4:]}" in page  # never again in full
    (entry,) = LogEntry.objects.filter(object_id=str(subscription.pk))
    assert (entry.user, entry.get_change_message()) == (user, ROTATED_MESSAGE)
    history = manager.get(f"{CHANGELIST}{subscription.pk}/history/").content.decode()
    assert ROTATED_MESSAGE in history and "floor-manager" in history and new not in history


def test_deliveries_after_a_rotation_are_signed_with_the_new_secret(restaurant, subscription):
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    lifecycle.booking_request_assignment(booking=make_booking(restaurant))
    outbox.outbox_relay(publish=lambda events: None)  # deliveries made before the rotation, still pending
    pending = list(WebhookDelivery.objects.filter(subscription=subscription).values_list("pk", flat=True))
    assert pending
    old = subscription.secret

    assert root.post(rotate_url(subscription), confirmation(root, subscription)).status_code == 200
    new = WebhookSubscription.objects.get(pk=subscription.pk).secret
    assert new != old

    sent: list[tuple[str, dict]] = []

    def post(url, body, headers):
        sent.append((body, headers))
        return 204

    for pk in pending:
        assert webhook_delivery_send(delivery_id=pk, post=post)
    assert len(sent) == len(pending)
    for body, headers in sent:
        Webhook(new).verify(body, headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(body, headers)


def test_the_list_cannot_be_filtered_on_the_secret(restaurant, subscription):
    """The changelist takes a local field's lookup from its URL: filtered on the secret, it would tell a host
    (who may only view) the secret one character at a time, by which prefix still lists the subscription."""
    host, _ = staff("host-ops", restaurant, "host")
    secret = subscription.secret
    for query in (f"secret__startswith={secret[:10]}", f"secret={secret}", "secret__regex=^whsec_[A-M]"):
        page = host.get(f"{CHANGELIST}?{query}")
        assert page.status_code == 400, query
        assert subscription.url not in page.content.decode(), query
    assert host.get(f"{CHANGELIST}?is_active__exact=1").status_code == 200  # the other filters work


def test_a_refresh_of_the_answer_rotates_nothing_and_does_not_show_the_secret(restaurant, subscription):
    """The browser re-posts the confirmation: the secret just copied stays in force, and is not shown again."""
    manager, _ = staff("floor-manager", restaurant, "manager")
    form = confirmation(manager, subscription)
    assert manager.post(rotate_url(subscription), form).status_code == 200
    new = WebhookSubscription.objects.get(pk=subscription.pk).secret

    again = manager.post(rotate_url(subscription), form)

    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == new
    shown = again.content.decode()
    assert again.status_code == 409 and "no-store" in again["Cache-Control"]
    assert ALREADY_ROTATED in shown and f"whsec_…{new[-4:]}" in shown
    assert new not in shown and new[6:30] not in shown and 'id="new-secret"' not in shown
    assert LogEntry.objects.filter(object_id=str(subscription.pk)).count() == 1


def rotated_by(page: str) -> str:
    found = re.search(r'<span id="rotated-by"><strong>(.*?)</strong></span>', page)
    return html.unescape(found.group(1)) if found else ""


def test_the_answer_names_who_rotated_it_and_when_in_the_restaurants_time(restaurant, subscription):
    """New York's restaurant: the rotation at 20:41:07 UTC reads 15:41:07 New York time, with the rotator's name;
    a refresh by the one who rotated says it was them."""
    restaurant.timezone = "America/New_York"
    restaurant.save(update_fields=["timezone"])
    manager, user = staff("floor-manager", restaurant, "manager")
    user.first_name, user.last_name = "Ada", "Lovelace"
    user.save()
    other, _ = staff("night-manager", restaurant, "manager")
    stale = confirmation(other, subscription)
    form = confirmation(manager, subscription)
    assert manager.post(rotate_url(subscription), form).status_code == 200
    LogEntry.objects.filter(object_id=str(subscription.pk)).update(
        action_time=datetime(2026, 12, 5, 20, 41, 7, tzinfo=UTC)
    )

    told = other.post(rotate_url(subscription), stale)
    assert told.status_code == 409
    assert rotated_by(told.content.decode()) == (
        "It was rotated by Ada Lovelace (floor-manager) at 15:41:07 on Sat 5 Dec 2026, America/New_York time."
    )
    again = manager.post(rotate_url(subscription), form).content.decode()  # the rotator's own refresh
    assert rotated_by(again).startswith("It was rotated by Ada Lovelace (floor-manager, you) at 15:41:07")


def test_for_all_restaurants_the_time_is_the_admins_and_no_record_says_nothing_more(restaurant):
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    platform = grant(get_user_model().objects.create_user("table-booker"), restaurant)
    everywhere = webhook_subscription_create(
        owner=platform, url="https://hooks.example.com/all", event_types=[], restaurant=None
    )
    stale = confirmation(root, everywhere)
    webhook_subscription_rotate_secret(
        subscription=everywhere, confirmed_for=stale["confirmed_for"]
    )  # no record
    told = root.post(rotate_url(everywhere), stale).content.decode()
    assert ALREADY_ROTATED in told and rotated_by(told) == ""

    assert root.post(rotate_url(everywhere), confirmation(root, everywhere)).status_code == 200
    entry = LogEntry.objects.get(object_id=str(everywhere.pk))
    when = localtime(entry.action_time, UTC)
    told = root.post(rotate_url(everywhere), stale).content.decode()
    assert rotated_by(told) == (
        f"It was rotated by root (you) at {when:%H:%M:%S} on {when:%a} {when.day} {when:%b %Y}, UTC time."
    )


def test_a_stale_confirmation_rotates_nothing_and_says_so(restaurant, subscription):
    """Someone else rotated after this page was opened (or it carries no confirmation at all): their secret
    stands; rotating again takes the fresh confirmation on the answer."""
    manager, _ = staff("floor-manager", restaurant, "manager")
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    stale = confirmation(manager, subscription)
    assert root.post(rotate_url(subscription), confirmation(root, subscription)).status_code == 200
    theirs = WebhookSubscription.objects.get(pk=subscription.pk).secret

    for form in (stale, {}, {"confirmed_for": "0" * 64}):
        answer = manager.post(rotate_url(subscription), form)
        shown = answer.content.decode()
        assert answer.status_code == 409 and ALREADY_ROTATED in shown, form
        assert theirs not in shown and f"whsec_…{theirs[-4:]}" in shown, form
        assert WebhookSubscription.objects.get(pk=subscription.pk).secret == theirs, form

    again = re.search(r'name="confirmed_for" value="([0-9a-f]+)"', shown).group(1)
    assert manager.post(rotate_url(subscription), {"confirmed_for": again}).status_code == 200  # Rotate again
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret != theirs


@pytest.mark.django_db(transaction=True)
def test_two_people_confirming_at_once_rotate_it_once(restaurant, subscription):
    """A manager and a superuser post the same confirmation at the same moment: one rotation, one new secret
    shown (to one of them), one history line; the other is told it was already rotated."""
    manager, _ = staff("floor-manager", restaurant, "manager")
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    form = confirmation(manager, subscription)
    start = threading.Barrier(2)
    answers: dict[str, object] = {}

    def confirm(name, client):
        try:
            start.wait(10)
            answers[name] = client.post(rotate_url(subscription), form)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=pair) for pair in (("manager", manager), ("root", root))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    new = WebhookSubscription.objects.get(pk=subscription.pk).secret
    assert new != subscription.secret
    assert sorted(a.status_code for a in answers.values()) == [200, 409]
    assert [new in a.content.decode() for a in answers.values()].count(True) == 1
    (entry,) = LogEntry.objects.filter(object_id=str(subscription.pk))
    # the one told it was already rotated learns by whom and when (the restaurant's time), never the secret
    (told,) = [a.content.decode() for a in answers.values() if a.status_code == 409]
    when = localtime(entry.action_time, subscription.restaurant.tzinfo)
    assert rotated_by(told) == (
        f"It was rotated by {entry.user.username} at {when:%H:%M:%S} on {when:%a} {when.day} {when:%b %Y},"
        " Europe/London time."
    )
    assert new not in told and new[6:30] not in told


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_swap_is_one_conditional_update_a_confirmation_checked_against_the_old_secret_loses(subscription):
    """The narrowest race: the second confirmation reads the old secret (the first rotation is not committed yet)
    and waits on the row; once the first commits, its conditional UPDATE finds the secret changed and rotates
    nothing."""
    token = secret_fingerprint(subscription.secret)
    rotated, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = webhook_subscription_rotate_secret(
                    subscription=subscription, confirmed_for=token
                )
                rotated.set()
                release.wait(10)
        finally:
            connection.close()

    def second():
        try:
            results["second"] = webhook_subscription_rotate_secret(
                subscription=WebhookSubscription.objects.get(pk=subscription.pk), confirmed_for=token
            )
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    assert rotated.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(1)
    assert b.is_alive()  # it read the old secret, matched the token, and waits on the row
    release.set()
    a.join(10)
    b.join(10)
    assert results["second"] is None
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == results["first"]


def test_the_answer_after_the_rotators_account_was_deleted_names_nobody_and_shows_no_secret(
    restaurant, subscription
):
    """The manager who rotated it has left and their account was deleted (their admin history with it): a stale
    confirmation still answers 409, says it was rotated, names nobody, and shows the secret masked only."""
    manager, user = staff("leaving-manager", restaurant, "manager")
    other, _ = staff("night-manager", restaurant, "manager")
    stale = confirmation(other, subscription)
    assert manager.post(rotate_url(subscription), confirmation(manager, subscription)).status_code == 200
    user.delete()

    told = other.post(rotate_url(subscription), stale)
    page = told.content.decode()
    subscription.refresh_from_db()
    assert told.status_code == 409 and ALREADY_ROTATED in page
    assert rotated_by(page) == "" and "leaving-manager" not in page
    assert subscription.secret not in page
