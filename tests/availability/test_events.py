"""Subscribers and the Server-Sent Events stream hear of every committed change within a second."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time

import pytest
from rest_framework.authtoken.models import Token

from availability import events
from availability.versions import version_get
from tests.availability.helpers import seat
from tests.factories import DAY, grant


def _wait(q: queue.Queue, timeout: float):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        return None


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_hears_a_committed_allocation_with_the_new_version(restaurant):
    heard: queue.Queue = queue.Queue()
    unsubscribe = events.subscribe(restaurant.pk, lambda m: heard.put((time.monotonic(), m)))
    try:
        seat(restaurant, ["M1"], start="19:00")
        committed = time.monotonic()
        got = _wait(heard, 2.0)
        assert got is not None, "no event within 2 s"
        at, message = got
        assert at - committed < 1.0
        assert message["restaurant_id"] == restaurant.pk
        assert message["versions"] == {DAY.isoformat(): version_get(restaurant_id=restaurant.pk, day=DAY)}
    finally:
        unsubscribe()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_heard_for_a_rolled_back_change_or_after_unsubscribing(restaurant):
    from django.db import transaction

    from assignments.models import Table
    from assignments.services.allocations import allocations_create
    from tests.factories import make_booking

    heard: queue.Queue = queue.Queue()
    unsubscribe = events.subscribe(restaurant.pk, heard.put)
    booking = make_booking(restaurant, start="19:00")
    with pytest.raises(RuntimeError), transaction.atomic():
        allocations_create(
            tables=[Table.objects.get(restaurant=restaurant, label="M1")],
            start_at=booking.start_at,
            end_at=booking.end_at,
            booking=booking,
        )
        raise RuntimeError("roll back")
    assert _wait(heard, 0.5) is None
    unsubscribe()
    seat(restaurant, ["M2"])
    assert _wait(heard, 0.5) is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.embedded
def test_sse_stream_over_http_pushes_the_new_version_within_a_second(
    live_server, restaurant, django_user_model
):
    user = grant(django_user_model.objects.create_user(username="sse"), restaurant)
    token = Token.objects.create(user=user).key
    host, port = live_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(
        "GET",
        f"/api/availability/stream?restaurant={restaurant.slug}&heartbeat=0.3&max_seconds=3",
        headers={"Authorization": f"Token {token}", "Accept": "text/event-stream"},
    )
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    lines: queue.Queue = queue.Queue()

    def read():
        for raw in response:
            lines.put((time.monotonic(), raw.decode().rstrip("\n")))
        lines.put((time.monotonic(), None))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen = []
    while not any(line == "event: ready" for _t, line in seen):  # subscribed before we change anything
        item = _wait(lines, 2.0)
        assert item is not None, "no ready event"
        seen.append(item)
    seat(restaurant, ["M1"], start="19:00")
    committed = time.monotonic()
    version = version_get(restaurant_id=restaurant.pk, day=DAY)
    pushed = None
    while pushed is None:
        item = _wait(lines, 2.0)
        assert item is not None and item[1] is not None, "stream ended without the change"
        seen.append(item)
        if item[1].startswith("data: ") and "versions" in item[1]:
            pushed = item
    assert pushed[0] - committed < 1.0
    assert json.loads(pushed[1][6:])["versions"] == {DAY.isoformat(): version}
    reader.join(timeout=5)  # bounded: the server ends the stream after max_seconds
    assert not reader.is_alive()
    rest = []
    while (item := _wait(lines, 0.1)) is not None:
        rest.append(item[1])
    assert any(line and line.startswith(": heartbeat") for line in rest)
    assert "event: end" in rest and rest[-1] is None
    conn.close()


@pytest.mark.django_db(transaction=True)
def test_sse_stream_through_the_test_client_in_a_thread(api, restaurant):
    response = api.get(f"/api/availability/stream?restaurant={restaurant.slug}&heartbeat=5&max_seconds=2")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    chunks: queue.Queue = queue.Queue()

    def read():
        for chunk in response.streaming_content:
            chunks.put(chunk.decode())
        chunks.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seat(restaurant, ["M3"], party_size=4, start="20:00")  # the stream subscribed when the view ran
    events_seen = []
    while (chunk := _wait(chunks, 3.0)) is not None:
        events_seen.append(chunk)
    reader.join(timeout=1)
    response.close()
    assert any(c.startswith("event: availability") for c in events_seen)
    assert events_seen[-1].startswith("event: end")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_changes_are_published_on_redis_for_other_processes(restaurant, redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"{events.channel_prefix()}{restaurant.pk}")
    pubsub.get_message(timeout=1.0)
    try:
        seat(restaurant, ["M1"])
        msg = None
        deadline = time.monotonic() + 2
        while msg is None and time.monotonic() < deadline:
            msg = pubsub.get_message(timeout=0.2)
        assert msg is not None, "nothing published on Redis"
        data = json.loads(msg["data"])
        assert data["restaurant_id"] == restaurant.pk
        assert data["versions"][DAY.isoformat()] == version_get(restaurant_id=restaurant.pk, day=DAY)
    finally:
        pubsub.close()


@pytest.mark.redis
@pytest.mark.django_db
def test_snapshots_and_versions_live_in_redis(restaurant, redis_client):
    from availability.selectors import availability_for_day

    availability_for_day(restaurant=restaurant, day=DAY, party_size=2)
    keys = {k.decode() for k in redis_client.keys("*avail:*")}
    assert any(":avail:v:" in k for k in keys)
    snaps = [k for k in keys if ":avail:s:" in k]
    assert len(snaps) == 26
    ttl_ms = redis_client.pttl(snaps[0])
    assert 0 < ttl_ms <= 1000  # the backstop: never kept longer than the max age
