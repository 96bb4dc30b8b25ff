"""A worker process's re-seat thread. A booking on its last attempt gets one re-seat solve (CP-SAT, up to
RESEAT_TIME_LIMIT_SECONDS) before review; run on the thread that decided its batch, the solves of an
oversubscribed evening kept that thread (a Dramatiq consumer, the sweep or the listener) from the fresh
bookings behind them for seconds. Here they run one after another on a thread of their own.

Nothing depends on this thread's queue: each candidate is leased in Postgres (its due time, RESEAT_LEASE) by the
batch that handed it over, so a worker that stops or dies with solves queued loses none of them; those bookings
are due again when their leases run out."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.db import close_old_connections

logger = logging.getLogger("maitre.reseat_lane")


class ReseatLane(threading.Thread):
    def __init__(self):
        super().__init__(name="maitre-reseat", daemon=True)
        self._jobs: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._stop_event = threading.Event()

    def submit(self, job: Callable[[], object]) -> None:
        self._jobs.put(job)

    def run(self) -> None:
        while not self._stop_event.is_set():
            job = self._jobs.get()
            if job is None:
                break
            try:
                close_old_connections()
                job()
            except Exception:  # its lease runs out and it is tried again; the others go on
                logger.exception("re-seat failed")
                _close_connection()
            finally:
                close_old_connections()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the solve under way (queued ones are left to their leases)."""
        self._stop_event.set()
        self._jobs.put(None)
        self.join(timeout)


def _close_connection() -> None:
    from django.db import connection

    try:
        connection.close()
    except Exception:
        pass
