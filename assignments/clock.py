"""How far this process's clock is from the database's.

Due times, hold expiries and no-show deadlines are written by one process and read by another, each against
its own clock: a worker 15 minutes fast sweeps a hold that still has 10 minutes to live, one 3 minutes slow
leaves due bookings waiting 3 minutes. The database's clock is the one every process shares, so each measures
itself against it (workers once a minute, the web on every /health/), exports the difference
(`maitre_clock_skew_seconds`) and the MaitreClockSkew alert names the process. The hosts' NTP is the cure.
"""

from __future__ import annotations

import time

from django.db import connection

from assignments import metrics

MEASURE_EVERY_SECONDS = 60.0


def clock_skew_seconds() -> float | None:
    """This process's clock minus the database's, in seconds (positive: ahead); None where there is no separate
    database server (SQLite, one machine's clock)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        before = time.time()
        cur.execute("SELECT extract(epoch FROM clock_timestamp())")
        after = time.time()
        (db,) = cur.fetchone()
    return (before + after) / 2 - float(db)


def clock_skew_measure() -> float | None:
    """Measure and export the skew; its value (None on SQLite)."""
    skew = clock_skew_seconds()
    if skew is not None:
        metrics.CLOCK_SKEW.set(skew)
    return skew
