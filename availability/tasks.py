"""Thin actors of the availability app."""

import dramatiq
from dramatiq_crontab import cron

from assignments.services.holds import holds_sweep_expired


@cron("* * * * *")
@dramatiq.actor(max_retries=0, time_limit=60_000)
def sweep_expired_holds() -> None:
    """Every minute (one scheduler runs, under dramatiq-crontab's Redis lock): drop expired holds."""
    holds_sweep_expired()
