"""Two writers at once in the schedule tests: a callable run in a thread of its own (with its own database
connection), and the pipeline's batch held in its transaction right after its claim."""

from __future__ import annotations

import threading

from django.db import connection

from assignments import coordinator


def in_thread(done: dict, name: str, fn) -> threading.Thread:
    """Start `fn` in a thread with its own connection (closed at the end); its result lands in done[name]."""

    def run():
        try:
            done[name] = fn()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def batch_held_after_claim(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The pipeline's batch, once it has claimed its bookings, sets `claimed` and waits (in its transaction,
    10 s at most) until `go` is set: (claimed, go)."""
    claimed, go = threading.Event(), threading.Event()
    real_floor_state = coordinator.floor_state

    def holding(**kwargs):
        claimed.set()
        assert go.wait(10)
        return real_floor_state(**kwargs)

    monkeypatch.setattr(coordinator, "floor_state", holding)
    return claimed, go
