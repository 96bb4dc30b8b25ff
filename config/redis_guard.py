"""One process-wide breaker in front of every Redis connection (cache, locks, rate limits, broker).

Redis is for speed here: Postgres holds every fact. When a Redis command times out or its connection is
refused, the guard trips for MAITRE_REDIS_BACKOFF_SECONDS: every Redis call in this process then fails at once
(a ConnectionError, which the cache turns into a miss and the pipeline into "go on without Redis") instead of
each waiting out its own socket timeout. A frozen Redis so costs one timeout per process and backoff, not one
per call: an API request stays fast, and no booking waits on a wake-up it does not need.
"""

from __future__ import annotations

import threading
import time

from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from assignments.caches import caches_register

_lock = threading.Lock()
_away_until = 0.0


def backoff_seconds() -> float:
    from assignments.conf import maitre_settings

    return float(maitre_settings.REDIS_BACKOFF_SECONDS)


def redis_away() -> bool:
    return time.monotonic() < _away_until


def trip() -> None:
    """Redis failed: leave it alone for a while (every process learns this by itself)."""
    global _away_until
    with _lock:
        _away_until = time.monotonic() + backoff_seconds()


@caches_register
def reset() -> None:
    global _away_until
    with _lock:
        _away_until = 0.0


class GuardedConnection(Connection):
    """A redis-py connection that fails fast while the guard is tripped, and trips it on a timeout or a
    refused connection."""

    def _refuse_if_away(self) -> None:
        if redis_away():
            raise RedisConnectionError("Redis is away (this process backs off for a few seconds)")

    def connect(self, *args, **kwargs):
        self._refuse_if_away()
        try:
            return super().connect(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            trip()
            raise

    def send_command(self, *args, **kwargs):
        self._refuse_if_away()
        try:
            return super().send_command(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            trip()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            trip()
            raise
