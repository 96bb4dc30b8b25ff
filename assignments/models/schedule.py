"""A restaurant's weekly schedule and its dated exceptions.

A weekday with no rows runs the restaurant's own service periods and turn times (so a restaurant that never
sets a schedule works as before); a weekday with rows runs those services, or is closed when a row says so.
Rows for a date replace that date's weekday entirely: closed, or special hours. The one reader is
assignments.selectors.schedule.restaurant_day_schedule.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from assignments.service_hours import is_party_size_key

from .floor import Restaurant
from .pacing import PacingLimits

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


def turn_minutes_errors(value) -> str | None:
    """Why a turn-time table is malformed (an empty one is fine: it inherits), or None."""
    if value in (None, {}, ""):
        return None
    if not isinstance(value, dict) or "default" not in value:
        return 'An object of party size -> minutes with a \'default\' entry, e.g. {"2": 75, "default": 120}.'
    for k, v in value.items():
        if k != "default" and not is_party_size_key(k):
            return f"Keys are party sizes or 'default', not {k!r}."
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            return f"Minutes must be whole numbers of at least 1 ({k!r}: {v!r})."
    return None


class ServiceHours(PacingLimits, models.Model):
    """One service (or a closed marker) with its hours, turn times and pacing."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="%(class)ss")
    closed = models.BooleanField(default=False, help_text="Closed all day (the other fields are ignored).")
    name = models.CharField(max_length=64, blank=True, default="", help_text="e.g. lunch, dinner.")
    start = models.TimeField(null=True, blank=True, help_text="First seating, local time.")
    end = models.TimeField(
        null=True, blank=True, help_text="Service ends; at or before the start it runs past midnight."
    )
    last_seating = models.TimeField(
        null=True, blank=True, help_text="Latest start of a booking (empty: any time before the end)."
    )
    turn_minutes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Turn time by party size plus 'default' (empty: the restaurant's).",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.closed:
            if self.start is None:
                errors["start"] = "Give the first seating, or tick closed."
            if self.end is None:
                errors["end"] = "Give the end of service, or tick closed."
            if self.start is not None and self.end is not None and self.start == self.end:
                errors["end"] = "A service cannot end when it starts."
            if self.last_seating is not None and self.start is not None and self.end is not None:

                def m(t):
                    return t.hour * 60 + t.minute

                start, end, last = m(self.start), m(self.end), m(self.last_seating)
                end += 1440 if end <= start else 0
                last += 1440 if last < start else 0
                if not (start <= last < end):
                    errors["last_seating"] = "Between the first seating and the end of service."
        problem = turn_minutes_errors(self.turn_minutes)
        if problem:
            errors["turn_minutes"] = problem
        if errors:
            raise ValidationError(errors)


class WeeklyService(ServiceHours):
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)

    class Meta:
        ordering = ["restaurant", "weekday", "start", "name"]
        verbose_name = "weekly service"
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "weekday", "name"], name="weekly_service_unique_name"
            ),
        ]

    def __str__(self) -> str:
        day = dict(WEEKDAYS)[self.weekday]
        return f"{day}: closed" if self.closed else f"{day} {self.name} {self.start:%H:%M}-{self.end:%H:%M}"


class ScheduleException(ServiceHours):
    date = models.DateField()
    note = models.CharField(max_length=200, blank=True, help_text="Why, e.g. Christmas Day, private event.")

    class Meta:
        ordering = ["restaurant", "date", "start", "name"]
        verbose_name = "dated exception"
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "date", "name"], name="schedule_exception_unique_name"
            ),
        ]

    def __str__(self) -> str:
        what = "closed" if self.closed else f"{self.name} {self.start:%H:%M}-{self.end:%H:%M}"
        return f"{self.date}: {what}"
