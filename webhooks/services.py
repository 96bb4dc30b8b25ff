"""Webhook writes: subscriptions, the deliveries an event fans out to, and sending one delivery.

Each delivery is signed to the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
`webhook-signature` headers; the id is the event's, the same on every retry, so a receiver can
de-duplicate), retried with exponential backoff and jitter, and given up after a configured time.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from standardwebhooks.webhooks import Webhook

from assignments import metrics
from assignments.conf import events_settings
from assignments.models import DeliveryStatus, EmailDelivery, OutboxEvent
from assignments.services.outbox import (
    deliveries_due,
    delivery_claim,
    delivery_record_failure,
    delivery_record_success,
    delivery_redeliver,
)
from tenancy.models import WEBHOOK_ROLES
from tenancy.selectors import restaurant_ids_with_role
from webhooks import egress
from webhooks.models import WebhookDelivery, WebhookSubscription, new_webhook_secret, secret_fingerprint

logger = logging.getLogger("maitre.webhooks")
USER_AGENT = "Maitre-Webhooks/1"


def webhook_subscription_create(
    *, owner, url: str, event_types: list[str], restaurant=None, description: str = "", is_active: bool = True
) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        owner=owner,
        url=url,
        event_types=sorted(set(event_types)),
        restaurant=restaurant,
        description=description,
        is_active=is_active,
    )


def webhook_subscription_update(*, subscription: WebhookSubscription, **fields) -> WebhookSubscription:
    if "event_types" in fields:
        fields["event_types"] = sorted(set(fields["event_types"]))
    for k, v in fields.items():
        setattr(subscription, k, v)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(
    *, subscription: WebhookSubscription, confirmed_for: str
) -> str | None:
    """A new signing secret, in force at once: every delivery sent from now on is signed with it (retries of
    earlier events included, as the signature is made when a delivery is sent), and the old one verifies
    nothing more. Returns the new secret, for the one person who asked to see it, once.

    Only if the secret is still the one the rotation was confirmed for (`confirmed_for`, its
    `secret_fingerprint`), swapped by one conditional UPDATE: a re-posted answer page, or a second person
    confirming the same page at the same moment, rotates nothing and gets None."""
    current = WebhookSubscription.objects.filter(pk=subscription.pk).values_list("secret", flat=True).first()
    if current is None or not constant_time_compare(secret_fingerprint(current), confirmed_for):
        return None
    secret = new_webhook_secret()
    if not WebhookSubscription.objects.filter(pk=subscription.pk, secret=current).update(secret=secret):
        return None  # rotated by someone else between the read and the swap
    subscription.secret = secret
    logger.info("webhook subscription %s: signing secret rotated", subscription.pk)
    return secret


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Remove the subscription with its deliveries."""
    subscription.delete()


def webhook_deliveries_create(*, events: list[OutboxEvent]) -> None:
    """The outbox relay's webhook consumer: one delivery row per (subscription, event) it wants, written in
    the relay's transaction; the wake-ups go out once it commits."""
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).select_related("owner"))
    if not subscriptions:
        return
    sees = _restaurants_seen_by_owners(subscriptions)
    now = timezone.now()
    rows = [
        WebhookDelivery(subscription=s, event=e, next_attempt_at=now)
        for e in events
        for s in subscriptions
        if s.wants(e) and (sees[s.owner_id] is None or e.restaurant_id in sees[s.owner_id])
    ]
    if not rows:
        return
    ids = [d.pk for d in WebhookDelivery.objects.bulk_create(rows)]

    def wake():
        from webhooks.tasks import deliver_webhook

        for pk in ids:
            deliver_webhook.send(delivery_id=pk)

    transaction.on_commit(wake)


def _restaurants_seen_by_owners(subscriptions) -> dict[int, set[int] | None]:
    """Tenancy and roles: an owner hears only of the restaurants where it is a booking platform or a manager
    (None: every one, for a superuser), also through a subscription to "all restaurants"; a host hears
    nothing."""
    return {
        s.owner_id: restaurant_ids_with_role(s.owner, WEBHOOK_ROLES)
        for s in {s.owner_id: s for s in subscriptions}.values()
    }


def webhook_body(event: OutboxEvent) -> str:
    return json.dumps(
        {
            "type": event.event_type,
            "timestamp": event.created_at.isoformat(),
            "data": {
                "event_id": event.pk,
                "aggregate": f"{event.aggregate_type}:{event.aggregate_id}",
                "restaurant_id": event.restaurant_id,
                "correlation_id": event.correlation_id,
                **event.payload,
            },
        },
        default=str,
        separators=(",", ":"),
    )


def webhook_headers(*, subscription: WebhookSubscription, event: OutboxEvent, body: str) -> dict[str, str]:
    msg_id = f"evt_{event.pk}"
    at = datetime.now(tz=UTC)
    signature = Webhook(subscription.secret).sign(msg_id=msg_id, timestamp=at, data=body)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _post(url: str, body: str, headers: dict[str, str]) -> int:
    """Only to a public address, unless WEBHOOK_ALLOW_PRIVATE_HOSTS (development, tests); never redirected."""
    return egress.post(
        url,
        body.encode(),
        headers,
        timeout=events_settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=events_settings.WEBHOOK_ALLOW_PRIVATE_HOSTS,
    )


def _failure(status: int) -> str:
    """What `last_error` says of an answer (empty for a 2xx)."""
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


def webhook_delivery_send(*, delivery_id: int, post=_post) -> bool:
    """Try one pending delivery (skipped if another worker holds it or it is no longer pending). A 2xx
    answer delivers it; anything else (a redirect too: never followed), or no answer, schedules the next try or
    gives it up; `last_error` says why in words the tenant can act on, without our network's detail. The row stays
    locked during the request (at most WEBHOOK_TIMEOUT_SECONDS), so no other worker sends it twice."""
    with transaction.atomic():
        delivery = delivery_claim(WebhookDelivery, delivery_id=delivery_id, related=("subscription", "event"))
        if delivery is None:
            return False
        body = webhook_body(delivery.event)
        headers = webhook_headers(subscription=delivery.subscription, event=delivery.event, body=body)
        started = time.perf_counter()
        try:
            status = post(delivery.subscription.url, body, headers)
        except egress.DeliveryError as exc:  # no answer: refused, timed out, a private address
            status, error = None, str(exc)
        except Exception:  # the detail is for operations, never for the tenant
            logger.exception("webhook %s: delivery failed", delivery_id)
            status, error = None, "delivery failed"
        else:
            error = _failure(status)
        logger.info(
            "webhook %s -> %s in %.0f ms: %s",
            delivery_id,
            status,
            (time.perf_counter() - started) * 1000,
            error or "ok",
        )
        if error:
            delivery_record_failure(delivery=delivery, error=error, last_status_code=status)
            metrics.DELIVERIES.labels(
                "webhook", "failed" if delivery.status == DeliveryStatus.FAILED else "retry"
            ).inc()
            return False
        delivery_record_success(delivery=delivery, last_status_code=status)
        metrics.DELIVERIES.labels("webhook", "delivered").inc()
        metrics.WEBHOOK_DELIVERY_SECONDS.observe(
            max(0.0, (timezone.now() - delivery.event.created_at).total_seconds())
        )
        return True


def webhook_deliveries_send_due(*, limit: int = 200) -> int:
    """The safety net: every webhook delivery that is due (a lost wake-up, a retry after a failure)."""
    return sum(webhook_delivery_send(delivery_id=pk) for pk in deliveries_due(WebhookDelivery, limit=limit))


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """Staff asked for another try (the admin's redeliver): due now, and woken once this commits."""
    with transaction.atomic():
        delivery_redeliver(delivery=delivery)
        from webhooks.tasks import deliver_webhook

        transaction.on_commit(lambda: deliver_webhook.send(delivery_id=delivery.pk))


def deliveries_hand_back_for_rollback(*, dry_run: bool, webhooks_out: Path) -> tuple[int, int]:
    """Before migrating back past the per-consumer delivery tables: events whose e-mail is not sent yet are
    marked unpublished again (the previous release's relay publishes and e-mails them) and their e-mail rows
    go; webhook deliveries not yet accepted are written to `webhooks_out` (JSON lines), in one transaction.
    Returns (events handed back, webhook deliveries exported); a dry run only counts."""
    unsent = EmailDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
    waiting = WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).select_related(
        "event", "subscription"
    )
    with transaction.atomic():
        event_ids = list(unsent.values_list("event_id", flat=True))
        hooks = [
            {
                "delivery_id": d.pk,
                "status": d.status,
                "url": d.subscription.url,
                "event_id": d.event_id,
                "event_type": d.event.event_type,
                "payload": d.event.payload,
                "attempts": d.attempts,
            }
            for d in waiting
        ]
        if not dry_run:
            OutboxEvent.objects.filter(pk__in=event_ids).update(published_at=None)
            unsent.delete()
            if hooks:
                webhooks_out.parent.mkdir(parents=True, exist_ok=True)
                webhooks_out.write_text("".join(json.dumps(h, default=str) + "\n" for h in hooks))
    return len(event_ids), len(hooks)
