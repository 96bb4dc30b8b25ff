"""Booking platforms' webhook subscriptions and the delivery of each event to each of them."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac

from assignments.models import DeliveryState, OutboxEvent, Restaurant


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def masked_secret(secret: str) -> str:
    """What the admin shows of a signing secret: its prefix and last 4 characters, "whsec_…abcd"."""
    if not secret:
        return "—"
    prefix = "whsec_" if secret.startswith("whsec_") else ""
    return f"{prefix}…{secret[-4:]}"


def secret_fingerprint(secret: str) -> str:
    """A keyed hash of a signing secret (HMAC with SECRET_KEY), safe to put in a page: it names which secret a
    rotation was confirmed for without telling anything of it."""
    return salted_hmac("maitre.webhooks.secret-fingerprint", secret, algorithm="sha256").hexdigest()


# Every booking event the outbox carries (a subscription with none listed hears them all); the webhook tests
# check the list against the lifecycle's and the seating service's events.
EVENT_TYPES = (
    "booking.created",
    "booking.assignment_requested",
    "booking.confirmed",
    "booking.manual_review",
    "booking.cancelled",
    "booking.failed",
    "booking.modified",
    "booking.seated",
    "booking.completed",
    "booking.no_show",
    "booking.tables_changed",
)


class WebhookSubscription(models.Model):
    kept_when_restaurant_replaced = (
        True  # a scenario import with --replace keeps who hears from the restaurant
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="The API client that receives these events.",
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=new_webhook_secret, help_text="Signs every delivery.")
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types to send; empty: all of them."
    )
    restaurant = models.ForeignKey(
        Restaurant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Only this restaurant's events; empty: all.",
    )
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.owner} → {self.url}"

    def wants(self, event: OutboxEvent) -> bool:
        return (
            self.is_active
            and event.event_type.startswith("booking.")  # the pipeline's own events (tables.freed) stay in
            and (not self.event_types or event.event_type in self.event_types)
            and (self.restaurant_id is None or self.restaurant_id == event.restaurant_id)
        )


class WebhookDelivery(DeliveryState):
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="webhook_deliveries")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.event_type} #{self.event_id} → {self.subscription.url}"
