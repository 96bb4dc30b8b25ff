"""The kitchen's pacing limits, declared once: a restaurant has them, and so has each service of its schedule
(a weekly service, a dated exception), where an empty one falls back to the restaurant's."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

EMPTY = "(empty: no limit; on a service of the schedule, the restaurant's)"


class PacingLimits(models.Model):
    """The three limits (assignments.engine.pacing reads them through selectors.schedule); a booking past one
    goes to review, and staff assigning by hand may override it."""

    pacing_covers_per_slot = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=f"Pacing: most covers starting in one slot {EMPTY}. A booking past it goes to review; staff "
        "assigning by hand may override.",
    )
    pacing_bookings_per_slot = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=f"Pacing: most bookings starting in one slot {EMPTY}.",
    )
    pacing_covers_per_service = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=f"Pacing: most covers in one service {EMPTY}.",
    )

    class Meta:
        abstract = True
