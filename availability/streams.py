"""A bounded Server-Sent Events stream of one restaurant's availability changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async

from availability import events


def _sse(event: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


class _Pace:
    """When a stream ends (`max_seconds` after it opened) and when its next heartbeat is due: the one clock of the
    synchronous and the asynchronous loop."""

    def __init__(self, max_seconds: float):
        self.deadline = time.monotonic() + max_seconds
        self.heartbeat = self.next_beat = float("inf")

    def beat_every(self, seconds: float) -> None:
        self.heartbeat = seconds
        self.next_beat = time.monotonic() + seconds

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    def wait(self) -> float:
        """How long to wait for a message before something else is due."""
        return max(0.0, min(self.deadline, self.next_beat) - time.monotonic())

    def beat_due(self) -> bool:
        """Whether a heartbeat is due now (and if so, the next one is counted from now)."""
        if time.monotonic() < self.next_beat:
            return False
        self.next_beat = time.monotonic() + self.heartbeat
        return True


class AvailabilityEventStream:
    """Subscribes when built (so nothing committed after the request is missed), yields one `availability`
    event per change, a comment line every `heartbeat` seconds, and ends after `max_seconds`.

    Iterated (`iter`) it blocks a thread per client: what a WSGI server and the test client serve. Under ASGI
    serve `asynchronous()`, which waits on the event loop, so that every event leaves as it happens (Django
    would buffer a synchronous iterator whole) and a client that goes away ends it at once.
    Django calls close() when the response ends, which unsubscribes; closing twice is harmless."""

    def __init__(self, *, restaurant_id: int, slug: str, heartbeat: float, max_seconds: float):
        self.restaurant_id = restaurant_id
        self.slug = slug
        self.heartbeat = heartbeat
        self.max_seconds = max_seconds
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1000)
        self._wake: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._close_lock = threading.Lock()
        self._closed = False
        self._unsubscribe = events.subscribe(restaurant_id, self._on_change)

    def _on_change(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(queue.Full):  # a stalled client loses events, never the publisher's time
            self._queue.put_nowait(message)
        if self._wake is not None:
            loop, event = self._wake
            with contextlib.suppress(RuntimeError):  # the loop is closed: the stream is over
                loop.call_soon_threadsafe(event.set)

    def _opening(self) -> list[bytes]:
        return [b"retry: 1000\n\n", _sse("ready", {"restaurant": self.slug, "max_seconds": self.max_seconds})]

    def _availability(self, message: dict[str, Any]) -> bytes:
        versions = message.get("versions", {})
        payload = {
            "restaurant": self.slug,
            "versions": versions,
            "start_at": message.get("start_at"),
            "end_at": message.get("end_at"),
            "changed_at": message.get("at"),
        }
        return _sse("availability", payload, event_id=str(max(versions.values(), default="")) or None)

    @staticmethod
    def _heartbeat() -> bytes:
        return f": heartbeat {time.time():.3f}\n\n".encode()

    @staticmethod
    def _end() -> bytes:
        return _sse("end", {"reason": "max_duration"})

    def __iter__(self) -> Iterator[bytes]:
        pace = _Pace(self.max_seconds)
        yield from self._opening()
        pace.beat_every(self.heartbeat)
        while not pace.over():
            try:
                message = self._queue.get(timeout=pace.wait())
            except queue.Empty:
                if pace.beat_due():
                    yield self._heartbeat()
                continue
            yield self._availability(message)
        yield self._end()

    def asynchronous(self) -> AsyncEventStream:
        return AsyncEventStream(self)

    async def _aiter(self) -> AsyncIterator[bytes]:
        wake = asyncio.Event()
        self._wake = (asyncio.get_running_loop(), wake)
        try:
            pace = _Pace(self.max_seconds)
            for chunk in self._opening():
                yield chunk
            pace.beat_every(self.heartbeat)
            while not pace.over():
                try:
                    message = self._queue.get_nowait()
                except queue.Empty:
                    wake.clear()
                    if self._queue.empty():  # nothing slipped in between get and clear
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), pace.wait())
                    if pace.beat_due():
                        yield self._heartbeat()
                    continue
                yield self._availability(message)
            yield self._end()
        finally:
            # Also when the server cancels us because the client went away: give everything back now.
            self._wake = None
            await sync_to_async(self.close, thread_sensitive=False)()

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._closed_once()

    def _closed_once(self) -> None:
        """What closing does, once; subclasses add their own clean-up here."""
        self._unsubscribe()


class AsyncEventStream:
    """The same stream as an async iterator, for StreamingHttpResponse under ASGI; close() is Django's hook."""

    def __init__(self, stream: AvailabilityEventStream):
        self.stream = stream

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.stream._aiter()

    def close(self) -> None:
        self.stream.close()
