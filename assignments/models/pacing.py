"""The kitchen's pacing limits, declared once: a restaurant has them, and so has each service of its schedule
(a weekly service, a dated exception), where an empty one falls back to the restaurant's."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models


def _limit(help_text: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text=help_text
    )


def pacing_limits(
    *, covers_per_slot: str, bookings_per_slot: str, covers_per_service: str
) -> type[models.Model]:
    """The abstract mixin with the three limits; the help texts say what an empty one means on that model."""

    class PacingLimits(models.Model):
        pacing_covers_per_slot = _limit(covers_per_slot)
        pacing_bookings_per_slot = _limit(bookings_per_slot)
        pacing_covers_per_service = _limit(covers_per_service)

        class Meta:
            abstract = True

    return PacingLimits
