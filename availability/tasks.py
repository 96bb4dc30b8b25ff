"""Thin actors of the availability app."""

import dramatiq
from django.conf import settings
from dramatiq_crontab import interval

from assignments.services.holds import holds_sweep_expired


@interval(seconds=settings.MAITRE_EVENTS["SCHEDULE_SECONDS"]["sweep_holds"])
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_expired_holds() -> None:
    """Every 30 s by default (one `manage.py scheduler` runs the schedule): drop expired holds."""
    holds_sweep_expired()
