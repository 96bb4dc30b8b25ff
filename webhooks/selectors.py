"""A client's own webhook subscriptions and their latest deliveries (another client's read as unknown)."""

from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookSubscription


def webhook_subscriptions_of(*, owner) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(owner=owner).select_related("restaurant")


def webhook_subscription_of(*, owner, pk: int) -> WebhookSubscription:
    """The owner's subscription; WebhookSubscription.DoesNotExist (a 404) for anyone else's."""
    return WebhookSubscription.objects.get(pk=pk, owner=owner)


def webhook_deliveries_latest(
    *, subscription: WebhookSubscription, limit: int = 100
) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first."""
    return subscription.deliveries.select_related("event").order_by("-id")[:limit]
