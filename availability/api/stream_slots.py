"""A per-client cap on concurrent Server-Sent Events streams, counted in the shared cache (Redis in production).

A slot is taken when a stream opens and given back when Django closes the response. A process that dies with
streams open leaves its count behind for at most the longest stream's lifetime plus a minute (the key's TTL is
renewed on every open), so a client is never locked out for long.
"""

from __future__ import annotations

from django.core.cache import cache

from assignments.conf import api_settings


def _key(user_id: int) -> str:
    return f"sse:streams:{user_id}"


def stream_slot_take(*, user_id: int) -> bool:
    """Take one of the client's stream slots; False when all are in use."""
    limit = api_settings.STREAMS_MAX_PER_CLIENT
    ttl = int(api_settings.STREAM_MAX_SECONDS) + 60
    key = _key(user_id)
    cache.add(key, 0, timeout=ttl)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=ttl)
        count = 1
    cache.touch(key, ttl)
    if count > limit:
        stream_slot_release(user_id=user_id)
        return False
    return True


def stream_slot_release(*, user_id: int) -> None:
    try:
        if cache.decr(_key(user_id)) < 0:
            cache.set(_key(user_id), 0, timeout=int(api_settings.STREAM_MAX_SECONDS) + 60)
    except ValueError:
        pass  # the key expired: nothing to give back


def streams_open(*, user_id: int) -> int:
    return int(cache.get(_key(user_id)) or 0)
