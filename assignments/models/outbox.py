"""Events written in the same transaction as the change they describe; a relay publishes them later."""

from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    aggregate_type = models.CharField(max_length=32, default="booking")
    aggregate_id = models.CharField(max_length=64)
    restaurant_id = models.BigIntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    correlation_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["aggregate_type", "aggregate_id"]),
            models.Index(fields=["id"], condition=Q(published_at__isnull=True), name="outbox_unpublished"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "given up"


class DeliveryState(models.Model):
    """One consumer's progress with one event: its own row, so a consumer that fails (a webhook endpoint
    down, the mail server away) is retried on its own and never blocks or loses the others."""

    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When the next try is due (pending deliveries only).")
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EmailDelivery(DeliveryState):
    """The e-mail an event calls for (guest confirmation, ops review alert), sent at least once."""

    event = models.OneToOneField(OutboxEvent, on_delete=models.CASCADE, related_name="email_delivery")

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="email_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"e-mail for {self.event}"


class FloorHealDelivery(DeliveryState):
    """The floor heal a `tables.freed` event calls for (assignments.services.heal), run at least once and, once
    delivered, never again: the in-process heal right after the freeing commit and the relayed one share it."""

    event = models.OneToOneField(OutboxEvent, on_delete=models.CASCADE, related_name="floor_heal_delivery")

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="floor_heal_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"floor heal for {self.event}"
