"""A client's own webhook subscriptions and their latest deliveries (another client's read as unknown); the
admin's view of them, scoped to the staff member's restaurants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from tenancy.models import WEBHOOK_ROLES
from tenancy.selectors import restaurant_ids_for_user, restaurant_ids_with_role
from webhooks.models import WebhookDelivery, WebhookSubscription


def webhook_subscriptions_of(*, owner) -> QuerySet[WebhookSubscription]:
    """The owner's subscriptions it may still manage: those to all its restaurants, and those to a restaurant
    where it is a platform or a manager (one at a restaurant where it is only a host is left out)."""
    subs = WebhookSubscription.objects.filter(owner=owner).select_related("restaurant")
    allowed = restaurant_ids_with_role(owner, WEBHOOK_ROLES)
    if allowed is None:
        return subs
    return subs.filter(Q(restaurant__isnull=True) | Q(restaurant_id__in=allowed))


def webhook_subscription_of(*, owner, pk: int) -> WebhookSubscription:
    """The owner's subscription; WebhookSubscription.DoesNotExist (a 404) for anyone else's."""
    return WebhookSubscription.objects.get(pk=pk, owner=owner)


def webhook_deliveries_latest(
    *, subscription: WebhookSubscription, limit: int = 100
) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest first."""
    return subscription.deliveries.select_related("event").order_by("-id")[:limit]


def webhook_subscriptions_for_staff(
    *, user, qs: QuerySet[WebhookSubscription]
) -> QuerySet[WebhookSubscription]:
    """The admin's subscriptions: those to one of the staff member's restaurants. A subscription to all
    restaurants spans tenants, so only superusers see it (and its owner, over the API)."""
    if user.is_superuser:
        return qs
    return qs.filter(restaurant_id__in=restaurant_ids_for_user(user))


def webhook_deliveries_for_staff(*, user, qs: QuerySet[WebhookDelivery]) -> QuerySet[WebhookDelivery]:
    """The admin's delivery log: deliveries of the events of the staff member's restaurants."""
    if user.is_superuser:
        return qs
    return qs.filter(event__restaurant_id__in=restaurant_ids_for_user(user))


ROTATED_MESSAGE = "Rotated the signing secret; the previous one stopped working."


@dataclass(frozen=True)
class SecretRotation:
    """Who rotated a subscription's signing secret last, and when (never the secret)."""

    user_id: int | None
    username: str
    full_name: str
    at: datetime  # aware


def webhook_secret_last_rotation(*, subscription: WebhookSubscription) -> SecretRotation | None:
    """The latest rotation of the subscription's secret, from the history row the admin writes with it (in the
    rotation's transaction): one query. None when no rotation is on record."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(WebhookSubscription),
            object_id=str(subscription.pk),
            action_flag=CHANGE,
            change_message=ROTATED_MESSAGE,
        )
        .select_related("user")
        .order_by("-action_time", "-id")
        .first()
    )
    if entry is None:
        return None
    user = entry.user
    return SecretRotation(
        user_id=entry.user_id,
        username=user.get_username() if user else "",
        full_name=user.get_full_name() if user else "",
        at=entry.action_time,
    )
