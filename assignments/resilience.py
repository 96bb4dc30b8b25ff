"""Rate limiting per restaurant (dramatiq's rate limiters) and the circuit breaker (pybreaker) around the
assignment work. Both share their state across workers through Redis; in embedded mode they live in memory."""

from __future__ import annotations

import threading

import pybreaker
from django.conf import settings
from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import StubBackend

from assignments import metrics
from assignments.caches import caches_register
from assignments.conf import maitre_settings

_lock = threading.Lock()
_backend = None
_breaker: pybreaker.CircuitBreaker | None = None


def redis_usable() -> bool:
    """False while this process believes Redis is away (config.redis_guard tripped in the last
    REDIS_BACKOFF_SECONDS): the pipeline then skips what lives in Redis (locks, rate limits, the shared breaker
    state) instead of paying a socket timeout on every call; Postgres still guards every write."""
    from config.redis_guard import redis_away

    return bool(settings.REDIS_URL) and not redis_away()


def redis_failed() -> None:
    from config.redis_guard import trip

    trip()
    metrics.REDIS_DEGRADED.inc()


class InfrastructureFailure(Exception):
    """A dependency (lock store, database) failed: counts against the breaker."""


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def rate_limiter_backend():
    global _backend
    with _lock:
        if _backend is None:
            if settings.REDIS_URL:
                from dramatiq.rate_limits.backends import RedisBackend

                _backend = RedisBackend(client=_redis())
            else:
                _backend = StubBackend()
        return _backend


def restaurant_rate_limiter(restaurant_id: int) -> WindowRateLimiter:
    cfg = maitre_settings
    window_s = max(1, cfg.RATE_LIMIT_WINDOW_MS // 1000)
    return WindowRateLimiter(
        rate_limiter_backend(),
        f"maitre:rate:restaurant:{restaurant_id}",
        limit=cfg.RATE_LIMIT_PER_RESTAURANT * window_s,
        window=window_s,
    )


class _GaugeListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state):
        metrics.BREAKER_STATE.labels(cb.name).set(1 if new_state.name == pybreaker.STATE_OPEN else 0)


_memory_breaker: pybreaker.CircuitBreaker | None = None


def assignment_breaker() -> pybreaker.CircuitBreaker:
    """The breaker shared by all workers through Redis; while Redis is away, this process's own."""
    global _breaker, _memory_breaker
    if settings.REDIS_URL and not redis_usable():
        with _lock:
            if _memory_breaker is None:
                _memory_breaker = _new_breaker(pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED))
            return _memory_breaker
    with _lock:
        if _breaker is None:
            storage = (
                pybreaker.CircuitRedisStorage(
                    pybreaker.STATE_CLOSED, _redis(), namespace="maitre:breaker:assignment"
                )
                if settings.REDIS_URL
                else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            )
            _breaker = _new_breaker(storage)
        return _breaker


def _new_breaker(storage) -> pybreaker.CircuitBreaker:
    cfg = maitre_settings
    return pybreaker.CircuitBreaker(
        fail_max=cfg.BREAKER_FAIL_MAX,
        reset_timeout=cfg.BREAKER_RESET_SECONDS,
        state_storage=storage,
        name="assignment",
        listeners=[_GaugeListener()],
        # Only infrastructure trips it: business outcomes (no plan, conflicts) are not failures.
        exclude=[lambda exc: not isinstance(exc, InfrastructureFailure)],
    )


@caches_register
def reset_resilience() -> None:
    """Forget the process-wide limiter backend and breaker (tests, settings changes)."""
    global _backend, _breaker, _memory_breaker
    from config.redis_guard import reset

    with _lock:
        _backend = None
        _breaker = None
        _memory_breaker = None
    reset()
