"""A bounded Server-Sent Events stream of one restaurant's availability changes."""

from __future__ import annotations

import contextlib
import json
import queue
import time
from collections.abc import Iterator
from typing import Any

from availability import events


def _sse(event: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


class AvailabilityEventStream:
    """Subscribes when built (so nothing committed after the request is missed), yields one `availability`
    event per change, a comment line every `heartbeat` seconds, and ends after `max_seconds`.
    Django calls close() when the response ends, which unsubscribes."""

    def __init__(self, *, restaurant_id: int, slug: str, heartbeat: float, max_seconds: float):
        self.restaurant_id = restaurant_id
        self.slug = slug
        self.heartbeat = heartbeat
        self.max_seconds = max_seconds
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1000)
        self._unsubscribe = events.subscribe(restaurant_id, self._on_change)

    def _on_change(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(queue.Full):  # a stalled client loses events, never the publisher's time
            self._queue.put_nowait(message)

    def __iter__(self) -> Iterator[bytes]:
        deadline = time.monotonic() + self.max_seconds
        yield b"retry: 1000\n\n"
        yield _sse("ready", {"restaurant": self.slug, "max_seconds": self.max_seconds})
        next_beat = time.monotonic() + self.heartbeat
        while True:
            now = time.monotonic()
            if now >= deadline:
                yield _sse("end", {"reason": "max_duration"})
                return
            try:
                message = self._queue.get(timeout=max(0.0, min(deadline, next_beat) - now))
            except queue.Empty:
                if time.monotonic() >= next_beat:
                    yield f": heartbeat {time.time():.3f}\n\n".encode()
                    next_beat = time.monotonic() + self.heartbeat
                continue
            versions = message.get("versions", {})
            payload = {
                "restaurant": self.slug,
                "versions": versions,
                "start_at": message.get("start_at"),
                "end_at": message.get("end_at"),
                "changed_at": message.get("at"),
            }
            yield _sse("availability", payload, event_id=str(max(versions.values(), default="")) or None)

    def close(self) -> None:
        self._unsubscribe()
