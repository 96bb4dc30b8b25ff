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
