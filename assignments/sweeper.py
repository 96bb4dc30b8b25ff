"""The sweep that makes Postgres the queue of record: every worker process looks for due bookings every
SWEEP_INTERVAL_SECONDS and decides them itself, so a lost, duplicated or stranded wake-up message (or a
broker that is down altogether) costs at most that interval, never a booking."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from assignments import metrics
from assignments.conf import maitre_settings

logger = logging.getLogger("maitre.sweeper")


def sweep_once() -> int:
    """Decide every restaurant day that has due work and that no other worker holds. Returns how many."""
    from assignments.coordinator import assign_due, due_restaurant_days, pass_outcome

    days = due_restaurant_days()
    for restaurant_id, service_date in days:
        try:
            outcomes = assign_due(restaurant_id=restaurant_id, service_date=service_date)
        except Exception:  # one day's trouble must not stall the others; it is due again next sweep
            logger.exception("sweep of restaurant %s day %s failed", restaurant_id, service_date)
            drop_connection()
            metrics.SWEEPS.labels("failed").inc()
            continue
        metrics.SWEEPS.labels(pass_outcome(outcomes)).inc()
    return len(days)


def drop_connection() -> None:
    """Close this thread's database connection after an error, whatever state it is in (the worker's background
    threads: the sweep, the listener, the re-seat thread); the next query opens a fresh one."""
    from django.db import connection

    try:
        connection.close()
    except Exception:
        pass


def _warn_if_skewed(skew: float | None) -> None:
    if skew is not None and abs(skew) > maitre_settings.MAX_CLOCK_SKEW_SECONDS:
        logger.warning(
            "this worker's clock is %.1f s %s the database's: due times and hold expiries are read wrong; "
            "check NTP on this host",
            abs(skew),
            "ahead of" if skew > 0 else "behind",
        )


class Sweeper(threading.Thread):
    def __init__(self, interval: float | None = None):
        super().__init__(name="maitre-sweeper", daemon=True)
        self.interval = maitre_settings.SWEEP_INTERVAL_SECONDS if interval is None else interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        from assignments.clock import MEASURE_EVERY_SECONDS, clock_skew_measure

        measured = 0.0
        while not self._stop_event.wait(self.interval):
            try:
                close_old_connections()
                if time.monotonic() - measured >= MEASURE_EVERY_SECONDS:
                    measured = time.monotonic()
                    _warn_if_skewed(clock_skew_measure())
                sweep_once()
            except Exception:  # the database may be away; the next sweep tries again
                logger.exception("sweep failed")
                drop_connection()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)
