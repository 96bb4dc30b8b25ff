"""Who hears about floor changes: per-restaurant publish/subscribe.

With Redis (REDIS_URL set) a change is published on a per-restaurant channel, and one listener thread per
process hands every message to this process's subscribers, whichever process made the change. Embedded,
publish hands the message to the in-process subscribers directly.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger("maitre.availability")

Callback = Callable[[dict[str, Any]], None]

_lock = threading.Lock()
_subscribers: dict[int, list[Callback]] = {}
_listener: _RedisListener | None = None


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def channel_prefix() -> str:
    """Pub/sub channels are shared by every db of a Redis server: name ours by key prefix and db number."""
    conn = _redis()
    db = conn.connection_pool.connection_kwargs.get("db", 0)
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:db{db}:availability:"


def _dispatch(restaurant_id: int, message: dict[str, Any]) -> None:
    with _lock:
        callbacks = list(_subscribers.get(restaurant_id, ()))
    for callback in callbacks:
        try:
            callback(message)
        except Exception:  # one bad listener must not starve the others
            logger.exception("availability subscriber failed")


class _RedisListener:
    """A daemon thread on a pattern subscription; started once the subscription is confirmed."""

    def __init__(self) -> None:
        self.prefix = channel_prefix()
        self.pubsub = _redis().pubsub(ignore_subscribe_messages=False)
        self.pubsub.psubscribe(f"{self.prefix}*")
        for _ in range(50):  # wait for the confirmation so no message published after subscribe() is missed
            msg = self.pubsub.get_message(timeout=0.1)
            if msg and msg["type"] == "psubscribe":
                break
        self.thread = threading.Thread(target=self._run, name="availability-events", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                msg = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception:
                logger.exception("availability listener lost Redis; resubscribing")
                try:
                    self.pubsub.close()
                    self.pubsub = _redis().pubsub()
                    self.pubsub.psubscribe(f"{self.prefix}*")
                except Exception:
                    threading.Event().wait(1.0)
                continue
            if not msg or msg.get("type") != "pmessage":
                continue
            try:
                data = json.loads(msg["data"])
                restaurant_id = int(data["restaurant_id"])
            except (ValueError, KeyError, TypeError):
                continue
            _dispatch(restaurant_id, data)


def _ensure_listener() -> None:
    global _listener
    if _listener is None:
        _listener = _RedisListener()


def subscribe(restaurant_id: int, callback: Callback) -> Callable[[], None]:
    """Call `callback(message)` for every change of this restaurant's floor; returns the unsubscribe function.
    Callbacks run on a background thread (Redis) or the publisher's thread (embedded): keep them short."""
    if settings.REDIS_URL:
        with _lock:
            _ensure_listener()
    with _lock:
        _subscribers.setdefault(restaurant_id, []).append(callback)

    def unsubscribe() -> None:
        with _lock:
            callbacks = _subscribers.get(restaurant_id, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                _subscribers.pop(restaurant_id, None)

    return unsubscribe


def publish(restaurant_id: int, message: dict[str, Any]) -> None:
    message = {**message, "restaurant_id": restaurant_id}
    if settings.REDIS_URL:
        _redis().publish(f"{channel_prefix()}{restaurant_id}", json.dumps(message))
    else:
        _dispatch(restaurant_id, message)
