"""The web process as production runs it (gunicorn with uvicorn workers, ASGI): the availability stream sends
each event as it happens and gives its slot back when the client goes away, and a web worker holds no more
database connections than its pool, however many requests it serves at once."""

from __future__ import annotations

import http.client
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.system import harness
from tests.system.conftest import LOAD_THROTTLES
from tests.system.harness import SCENARIOS

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

THROTTLES = (
    f"{LOAD_THROTTLES},availability.burst=10000/s,availability.sustained=1000000/min,"
    "stream.burst=1000/s,stream.sustained=100000/min"
)
POOL_MAX = 4


def _address(system) -> tuple[str, int]:
    parts = urlsplit(system.web_url)
    return parts.hostname, parts.port


def _open_stream(system, slug: str, *, heartbeat: float, max_seconds: float) -> socket.socket:
    sock = socket.create_connection(_address(system), timeout=10)
    sock.sendall(
        (
            f"GET /api/availability/stream?restaurant={slug}&heartbeat={heartbeat}&max_seconds={max_seconds} "
            f"HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {system.token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
    )
    return sock


def _read_until(
    sock: socket.socket, needles: list[bytes], timeout: float
) -> tuple[bytes, dict[bytes, float]]:
    """What the server sent, and when each needle first arrived (seconds from the call)."""
    start = time.monotonic()
    seen: dict[bytes, float] = {}
    data = b""
    sock.settimeout(0.2)
    while time.monotonic() - start < timeout and len(seen) < len(needles):
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
        for needle in needles:
            if needle not in seen and needle in data:
                seen[needle] = time.monotonic() - start
    return data, seen


def _stream_status(system, slug: str) -> int:
    conn = http.client.HTTPConnection(*_address(system), timeout=10)
    try:
        conn.request(
            "GET",
            f"/api/availability/stream?restaurant={slug}&heartbeat=0.2&max_seconds=0.5",
            headers={"Authorization": f"Token {system.token}"},
        )
        response = conn.getresponse()
        response.read()  # to the stream's end (half a second), so that its slot is given back too
        return response.status
    finally:
        conn.close()


def test_the_stream_flushes_each_event_and_frees_its_slot_when_the_client_goes(make_system):
    system = make_system(
        formation={"web": 1},
        env={
            "WEB_CONCURRENCY": "1",
            "MAITRE_STREAMS_MAX_PER_CLIENT": "1",
            "MAITRE_THROTTLE_RATES": THROTTLES,
        },
    )
    slug = system.import_floor(SCENARIOS / "sample-small.json", slug="asgi-stream")
    sock = _open_stream(system, slug, heartbeat=0.5, max_seconds=60)
    try:
        data, seen = _read_until(sock, [b" 200 ", b"event: ready", b": heartbeat"], timeout=10)
        assert data.startswith(b"HTTP/1.1 200 "), data[:300] + system.logs().encode()
        # Buffered, nothing would arrive before max_seconds (60 s).
        assert seen.get(b"event: ready", 99) < 2.0, (seen, data[:500])
        assert seen.get(b": heartbeat", 99) < 3.0, (seen, data[:500])
        _, later = _read_until(sock, [b": heartbeat"], timeout=3)  # and the next one, as it happens
        assert b": heartbeat" in later
        assert _stream_status(system, slug) == 429  # its one slot is taken
    finally:
        sock.close()
    gone = time.monotonic()
    harness.wait_for(
        lambda: _stream_status(system, slug) == 200, timeout=5, interval=0.2, what="the slot given back"
    )
    assert time.monotonic() - gone < 3.0


def _connections(system) -> int:
    return system.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]


def test_a_web_worker_holds_no_more_connections_than_its_pool(make_system):
    system = make_system(
        formation={"web": 1},  # one web worker and nothing else on the database
        env={"WEB_CONCURRENCY": "1", "DB_POOL_MAX_SIZE": str(POOL_MAX), "MAITRE_THROTTLE_RATES": THROTTLES},
    )
    slug = system.import_floor(SCENARIOS / "sample-small.json", slug="asgi-pool")
    paths = [
        "/health/",
        f"/api/availability?restaurant={slug}&date={system.day.isoformat()}&party_size=2",
    ]

    def get(i: int) -> int:
        conn = http.client.HTTPConnection(*_address(system), timeout=30)
        try:
            conn.request("GET", paths[i % 2], headers={"Authorization": f"Token {system.token}"})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    most = 0
    with ThreadPoolExecutor(max_workers=50) as pool:
        pending = [pool.submit(get, i) for i in range(200)]
        while any(not f.done() for f in pending):
            most = max(most, _connections(system))
            time.sleep(0.05)
        statuses = [f.result() for f in pending]
    after = _connections(system)
    assert statuses.count(200) == 200, (sorted(set(statuses)), system.logs())
    assert most <= POOL_MAX and after <= POOL_MAX, (most, after)
