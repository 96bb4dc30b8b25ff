"""A worker process's re-seat thread. A booking on its last attempt gets one re-seat solve (CP-SAT, up to
RESEAT_TIME_LIMIT_SECONDS) before review; run on the thread that decided its batch, the solves of an
oversubscribed evening kept that thread (a Dramatiq consumer, the sweep or the listener) from the fresh
bookings behind them for seconds. Here they run one after another on a thread of their own.

Nothing depends on this thread's queue: each candidate is leased in Postgres (its due time, RESEAT_LEASE) by the
batch that handed it over, so a worker that dies with solves queued loses none of them; those bookings are due
again when their leases run out. A worker that stops gracefully hands the ones it has not started to `release`
(coordinator.reseats_release: due at once), so another worker goes on with them without waiting that long."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import close_old_connections

from assignments.sweeper import drop_connection

logger = logging.getLogger("maitre.reseat_lane")

Job = TypeVar("Job", bound=Callable[[], object])


class ReseatLane(threading.Thread, Generic[Job]):
    def __init__(self, *, release: Callable[[list[Job]], object] | None = None):
        super().__init__(name="maitre-reseat", daemon=True)
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._stop_event = threading.Event()
        self._release = release

    def submit(self, job: Job) -> None:
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
                drop_connection()
            finally:
                close_old_connections()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the solve under way; the queued ones are never started here: given to `release` at once
        (without one, left to their leases)."""
        self._stop_event.set()
        self._hand_back(self._queued())
        self._jobs.put(None)
        self.join(timeout)
        self._hand_back(self._queued())  # any queued while it stopped

    def _queued(self) -> list[Job]:
        jobs: list[Job] = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return jobs
            if job is not None:
                jobs.append(job)

    def _hand_back(self, jobs: list[Job]) -> None:
        """On the stopping thread, with its database connection."""
        if not jobs or self._release is None:
            return
        try:
            self._release(jobs)
        except Exception:  # the database is away: their leases run out as before
            logger.exception("could not release %d queued re-seat(s)", len(jobs))
        else:
            logger.warning("%d queued re-seat(s) released to other workers", len(jobs))
