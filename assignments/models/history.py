"""The audit trail: one row per state change, one row per strategy outcome of an assignment attempt."""

from django.conf import settings
from django.db import models


class BookingStateHistory(models.Model):
    booking = models.ForeignKey("assignments.Booking", on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32)
    version = models.PositiveIntegerField(help_text="The booking's version after this change.")
    transition = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, default="system")
    metadata = models.JSONField(default=dict, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "booking_state_history"
        ordering = ["booking", "version"]
        verbose_name_plural = "booking state history"
        constraints = [
            models.UniqueConstraint(fields=["booking", "version"], name="history_one_row_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} v{self.version}: {self.from_state or '∅'} → {self.to_state}"


class AttemptResult(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    NO_PLAN = "no_plan", "No plan"
    CONFLICT = "conflict", "Conflict"
    SHADOW = "shadow", "Shadow"
    SKIPPED = "skipped", "Skipped"


class BookingAssignmentAttempt(models.Model):
    booking = models.ForeignKey("assignments.Booking", on_delete=models.CASCADE, related_name="attempts")
    attempt_no = models.PositiveIntegerField()
    strategy = models.CharField(max_length=64)
    result = models.CharField(max_length=16, choices=AttemptResult.choices)
    reason = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "booking_assignment_attempts"
        ordering = ["booking", "attempt_no", "id"]
        indexes = [models.Index(fields=["strategy", "result"])]

    def __str__(self) -> str:
        return f"{self.booking_id} #{self.attempt_no} {self.strategy}: {self.result}"
