"""Rate limiting per restaurant (dramatiq's rate limiters) and the circuit breaker (pybreaker) around the
assignment work. Both share their state across workers through Redis; in embedded mode they live in memory."""

from __future__ import annotations

import threading

import pybreaker
from django.conf import settings
from dramatiq.rate_limits import WindowRateLimiter
from dramatiq.rate_limits.backends import StubBackend

from assignments import metrics

_lock = threading.Lock()
_backend = None
_breaker: pybreaker.CircuitBreaker | None = None


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
    cfg = settings.MAITRE
    window_s = max(1, cfg["RATE_LIMIT_WINDOW_MS"] // 1000)
    return WindowRateLimiter(
        rate_limiter_backend(), f"maitre:rate:restaurant:{restaurant_id}",
        limit=cfg["RATE_LIMIT_PER_RESTAURANT"] * window_s, window=window_s,
    )


class _GaugeListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state):
        metrics.BREAKER_STATE.labels(cb.name).set(1 if new_state.name == pybreaker.STATE_OPEN else 0)


def assignment_breaker() -> pybreaker.CircuitBreaker:
    global _breaker
    with _lock:
        if _breaker is None:
            cfg = settings.MAITRE
            storage = (
                pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, _redis(), namespace="maitre:breaker:assignment")
                if settings.REDIS_URL
                else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            )
            _breaker = pybreaker.CircuitBreaker(
                fail_max=cfg["BREAKER_FAIL_MAX"],
                reset_timeout=cfg["BREAKER_RESET_SECONDS"],
                state_storage=storage,
                name="assignment",
                listeners=[_GaugeListener()],
                # Only infrastructure trips it: business outcomes (no plan, conflicts) are not failures.
                exclude=[lambda exc: not isinstance(exc, InfrastructureFailure)],
            )
        return _breaker


def reset_resilience() -> None:
    """Forget the process-wide limiter backend and breaker (tests, settings changes)."""
    global _backend, _breaker
    with _lock:
        _backend = None
        _breaker = None
