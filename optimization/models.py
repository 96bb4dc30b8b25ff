"""The optimizer on a schedule: when to re-plan each restaurant's day, and what each run found."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from assignments.models import Restaurant


class OptimizerSchedule(models.Model):
    """One run a day at the restaurant's local time, before a service (e.g. 15:00 before dinner)."""

    kept_when_restaurant_replaced = True  # a scenario import with --replace keeps when the optimizer runs

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="optimizer_schedules")
    run_at = models.TimeField(help_text="Local time of the restaurant.")
    time_limit_seconds = models.FloatField(default=30.0, help_text="How long the solver may think.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["restaurant", "run_at"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "run_at"], name="optimizer_schedule_once")
        ]

    def __str__(self) -> str:
        return f"{self.restaurant} at {self.run_at:%H:%M}"


class OptimizerRun(models.Model):
    """What one run of the day optimizer found and did; a scheduled slot runs at most once a day."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="optimizer_runs")
    schedule = models.ForeignKey(
        OptimizerSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    day = models.DateField()
    status = models.CharField(
        max_length=32,
        default="running",
        help_text="running, applied, below_threshold, unchanged, aborted, no_solution, error",
    )
    reason = models.TextField(blank=True)
    applied = models.BooleanField(default=False)
    improvement = models.FloatField(
        null=True, blank=True, help_text="Score gain the plan found (0.05 = +5%)."
    )
    covers_before = models.PositiveIntegerField(null=True, blank=True)
    covers_after = models.PositiveIntegerField(null=True, blank=True)
    moved = models.PositiveIntegerField(default=0)
    newly_seated = models.PositiveIntegerField(default=0)
    frozen = models.PositiveIntegerField(
        default=0, help_text="Bookings inside the freeze window, never moved."
    )
    moves = models.JSONField(default=dict, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "day"],
                condition=Q(schedule__isnull=False),
                name="optimizer_run_once_per_slot_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.restaurant} {self.day} ({self.status})"
