"""Per-booking locks: only one worker processes a booking at a time.

Redis backend: redis-py's Lock (token-owned, with a TTL) on django-redis's connection. When Redis cannot
be reached the answer is "no lock" (never an exception), counted as a failure; the coordinator then
schedules a retry. An in-process backend serves the embedded mode. The database stays the final guard
against double booking; a lock only avoids wasted work and racing transitions.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock as RedisLock

from assignments import metrics
from assignments.caches import caches_register
from assignments.conf import maitre_settings

logger = logging.getLogger("maitre.locks")


class LockStatus(enum.StrEnum):
    ACQUIRED = "acquired"
    CONTENDED = "contended"  # someone else holds it
    UNAVAILABLE = "unavailable"  # the lock store could not be reached


def lock_key(booking_id: int | str) -> str:
    return f"maitre:lock:booking:{booking_id}"


@dataclass
class LockHandle:
    """An owned lock. `release` and `extend` never raise; they report success."""

    key: str
    status: LockStatus
    _manager: LockManager | None = None
    _impl: RedisLock | str | None = None  # the Redis lock, or the in-process owner token

    @property
    def acquired(self) -> bool:
        return self.status is LockStatus.ACQUIRED

    def extend(self, seconds: float) -> bool:
        return bool(self.acquired and self._manager and self._manager._extend(self, seconds))

    def release(self) -> bool:
        if not self.acquired or self._manager is None:
            return False
        ok = self._manager._release(self)
        self.status = LockStatus.UNAVAILABLE
        return ok

    def __enter__(self) -> LockHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class LockManager:
    backend = "abstract"

    def acquire(self, key: str, *, ttl: float | None = None, wait: float | None = None) -> LockHandle:
        ttl = ttl or maitre_settings.LOCK_TTL_SECONDS
        wait = maitre_settings.LOCK_ACQUIRE_TIMEOUT_SECONDS if wait is None else wait
        started = time.perf_counter()
        handle = self._acquire(key, ttl, wait)
        metrics.LOCK_ACQUIRE_SECONDS.labels(self.backend).observe(time.perf_counter() - started)
        if handle.status is LockStatus.ACQUIRED:
            metrics.LOCK_ACQUIRED.labels(self.backend).inc()
        elif handle.status is LockStatus.CONTENDED:
            metrics.LOCK_CONTENDED.labels(self.backend).inc()
        else:
            metrics.LOCK_FAILED.labels(self.backend, "acquire").inc()
        return handle

    def is_locked(self, key: str) -> bool | None:
        """True/False, or None when the store cannot be reached."""
        raise NotImplementedError

    def _acquire(self, key: str, ttl: float, wait: float) -> LockHandle:
        raise NotImplementedError

    def _extend(self, handle: LockHandle, seconds: float) -> bool:
        raise NotImplementedError

    def _release(self, handle: LockHandle) -> bool:
        raise NotImplementedError


class RedisLockManager(LockManager):
    backend = "redis"

    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            from django_redis import get_redis_connection

            self._client = get_redis_connection("default")
        return self._client

    def _acquire(self, key: str, ttl: float, wait: float) -> LockHandle:
        try:
            lock = self.client.lock(
                key,
                timeout=ttl,
                sleep=0.005,
                blocking=wait > 0,
                blocking_timeout=wait or None,
                thread_local=False,
            )
            if lock.acquire():
                return LockHandle(key, LockStatus.ACQUIRED, self, lock)
            return LockHandle(key, LockStatus.CONTENDED)
        except (RedisError, OSError) as exc:
            logger.warning("lock store unreachable acquiring %s: %s", key, exc)
            return LockHandle(key, LockStatus.UNAVAILABLE)

    def _extend(self, handle: LockHandle, seconds: float) -> bool:
        try:
            assert isinstance(handle._impl, RedisLock)  # this manager made the handle
            return bool(handle._impl.extend(seconds, replace_ttl=True))
        except (LockError, RedisError, OSError) as exc:
            metrics.LOCK_FAILED.labels(self.backend, "extend").inc()
            logger.warning("could not extend %s: %s", handle.key, exc)
            return False

    def _release(self, handle: LockHandle) -> bool:
        try:
            assert isinstance(handle._impl, RedisLock)
            handle._impl.release()
            return True
        except LockNotOwnedError:
            logger.warning("lock %s expired before release (work outlived its TTL)", handle.key)
            return False
        except (LockError, RedisError, OSError) as exc:
            metrics.LOCK_FAILED.labels(self.backend, "release").inc()
            logger.warning("could not release %s: %s (it expires by itself)", handle.key, exc)
            return False

    def is_locked(self, key: str) -> bool | None:
        try:
            return bool(self.client.exists(key))
        except (RedisError, OSError):
            return None


class InProcessLockManager(LockManager):
    """Token-owned locks with a TTL inside one process (the embedded mode)."""

    backend = "inprocess"

    def __init__(self):
        self._mutex = threading.Condition()
        self._owners: dict[str, tuple[str, float]] = {}

    def _live_owner(self, key: str) -> str | None:
        owner = self._owners.get(key)
        if owner and owner[1] > time.monotonic():
            return owner[0]
        self._owners.pop(key, None)
        return None

    def _acquire(self, key: str, ttl: float, wait: float) -> LockHandle:
        deadline = time.monotonic() + wait
        token = uuid.uuid4().hex
        with self._mutex:
            while self._live_owner(key) is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return LockHandle(key, LockStatus.CONTENDED)
                self._mutex.wait(min(remaining, 0.01))
            self._owners[key] = (token, time.monotonic() + ttl)
        return LockHandle(key, LockStatus.ACQUIRED, self, token)

    def _extend(self, handle: LockHandle, seconds: float) -> bool:
        with self._mutex:
            token = handle._impl
            if not isinstance(token, str) or self._live_owner(handle.key) != token:
                return False
            self._owners[handle.key] = (token, time.monotonic() + seconds)
            return True

    def _release(self, handle: LockHandle) -> bool:
        with self._mutex:
            if self._live_owner(handle.key) != handle._impl:
                return False
            del self._owners[handle.key]
            self._mutex.notify_all()
            return True

    def is_locked(self, key: str) -> bool | None:
        with self._mutex:
            return self._live_owner(key) is not None


_manager: LockManager | None = None
_manager_lock = threading.Lock()


def lock_manager() -> LockManager:
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = RedisLockManager() if settings.REDIS_URL else InProcessLockManager()
        return _manager


def set_lock_manager(manager: LockManager | None) -> None:
    """Swap the process-wide manager (tests point it at an unreachable Redis to simulate an outage)."""
    global _manager
    with _manager_lock:
        _manager = manager


def lock_manager_forget() -> None:
    set_lock_manager(None)


caches_register(lock_manager_forget)


def booking_lock(booking_id: int, *, ttl: float | None = None, wait: float | None = None) -> LockHandle:
    return lock_manager().acquire(lock_key(booking_id), ttl=ttl, wait=wait)


def restaurant_day_lock(restaurant_id: int, service_date, *, ttl: float | None = None) -> LockHandle:
    """The pipeline's lock on one restaurant service day (never waits: a holder decides the whole day)."""
    return lock_manager().acquire(f"maitre:lock:day:{restaurant_id}:{service_date}", ttl=ttl, wait=0)


def booking_is_locked(booking_id: int) -> bool | None:
    return lock_manager().is_locked(lock_key(booking_id))
