"""An in-process Dramatiq worker for the embedded mode (no Redis): `make demo` and `make run` need nothing else."""

from __future__ import annotations

import threading

import dramatiq

_worker = None
_sweeper = None
_lock = threading.Lock()


def start_inprocess_worker(*, threads: int = 1) -> dramatiq.Worker:
    """Start (once) a worker consuming every queue of the configured broker in this process. One thread
    keeps the embedded mode's single SQLite writer uncontended and handles bookings in arrival order."""
    global _worker, _sweeper
    with _lock:
        if _worker is None:
            import assignments.tasks  # noqa: F401  (declare the actors)
            from assignments.sweeper import Sweeper

            broker = dramatiq.get_broker()
            broker.emit_after("process_boot")
            _worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
            _worker.start()
            _sweeper = Sweeper()  # retries are due times in the database: the sweep picks them up
            _sweeper.start()
        return _worker


def stop_inprocess_worker() -> None:
    global _worker, _sweeper
    with _lock:
        if _sweeper is not None:
            _sweeper.stop()
            _sweeper = None
        if _worker is not None:
            _worker.stop()
            _worker = None
