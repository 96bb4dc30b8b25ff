"""The fast wake-up: each worker process LISTENs on the pipeline's channel (pipeline.WAKE_CHANNEL) on a
connection of its own, and decides a restaurant day as soon as a transaction that made a booking of it due
commits (Postgres delivers a NOTIFY at the commit, and drops it with a rollback). It needs neither Redis nor a
free Dramatiq consumer thread. It is a hint like the Redis wake-up beside it: a notification missed while the
listener reconnects, or sent while the day was held elsewhere, costs at most the sweep's interval."""

from __future__ import annotations

import logging
import threading
from datetime import date

from django.db import close_old_connections

from assignments import metrics
from assignments.sweeper import drop_connection

logger = logging.getLogger("maitre.listener")

RECONNECT_MAX_SECONDS = 5.0
WAIT_SECONDS = 1.0  # how often an idle listener looks at its stop flag


def parse_payload(payload: str) -> tuple[int, date | None] | None:
    """(restaurant id, service day) from "<id>:<ISO day>" ("<id>:" for a day-less booking); None if garbled."""
    rid, _, day = payload.partition(":")
    try:
        return int(rid), (date.fromisoformat(day) if day else None)
    except ValueError:
        return None


def decide_days(days: list[tuple[int, date | None]]) -> None:
    """Decide each notified day (nothing, if another worker holds it: the holder looks again after letting go)."""
    from assignments.coordinator import assign_due, pass_outcome

    for restaurant_id, service_date in days:
        try:
            close_old_connections()
            outcomes = assign_due(restaurant_id=restaurant_id, service_date=service_date)
        except Exception:  # its bookings stay due: the sweep or the next wake-up gets them
            logger.exception("notified restaurant %s day %s failed", restaurant_id, service_date)
            drop_connection()
            metrics.NOTIFIED.labels("failed").inc()
            continue
        metrics.NOTIFIED.labels(pass_outcome(outcomes)).inc()
    close_old_connections()  # back to the pool while the listener waits


def listen_connection():
    """A psycopg connection of the listener's own (outside Django's pool: it stays idle in LISTEN), with the
    default database's parameters (keepalives included, so a vanished server is noticed)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "pool", "server_side_binding"):
        params.pop(key, None)
    return psycopg.connect(**params, autocommit=True)


class Listener(threading.Thread):
    def __init__(self, *, decide=decide_days):
        super().__init__(name="maitre-listener", daemon=True)
        self._decide = decide
        self._stop_event = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in effect (tests wait on it)
        self.backend_pid: int | None = None  # the listening session's, while it listens

    def run(self) -> None:
        from assignments.services.pipeline import WAKE_CHANNEL

        delay = 0.1
        while not self._stop_event.is_set():
            conn = None
            try:
                conn = listen_connection()
                conn.execute(f"LISTEN {WAKE_CHANNEL}")
                self.backend_pid = conn.info.backend_pid
                self.listening.set()
                delay = 0.1
                while not self._stop_event.is_set():
                    days = self._next_days(conn)
                    if days:
                        self._decide(days)
            except (
                Exception
            ) as exc:  # the database is away or the connection broke: the sweep covers meanwhile
                logger.warning("listener: %s; listening again in %.1f s", exc, delay)
            finally:
                self.listening.clear()
                self.backend_pid = None
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass
            self._stop_event.wait(delay)
            delay = min(RECONNECT_MAX_SECONDS, delay * 2)
        drop_connection()  # the Django connection the decisions used on this thread

    @staticmethod
    def _next_days(conn) -> list[tuple[int, date | None]]:
        """The days notified: waits up to WAIT_SECONDS for the first notification, then takes whatever else has
        arrived already, each day once, in the order first notified."""
        notes = list(conn.notifies(timeout=WAIT_SECONDS, stop_after=1))
        if notes:
            notes.extend(conn.notifies(timeout=0))
        days: dict[tuple[int, date | None], None] = {}
        for note in notes:
            day = parse_payload(note.payload)
            if day is None:
                logger.warning("listener: ignoring payload %r", note.payload)
            else:
                days.setdefault(day, None)
        return list(days)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.join(timeout)
