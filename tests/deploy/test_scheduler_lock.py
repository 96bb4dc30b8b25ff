"""The scheduler's lock through a Redis blip, on a private redis-server that the test freezes (SIGSTOP)
and thaws: a blip shorter than the lock's TTL keeps the lock; a longer one gives it up (someone else may
take it), and the scheduler takes it again once Redis is back, all without a restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from assignments.management.commands.scheduler import Leadership

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


def _free_port() -> int:
    for port in range(8150, 8160):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8150-8159")


@pytest.fixture
def private_redis(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield proc, f"redis://127.0.0.1:{port}/0", client
    os.kill(proc.pid, signal.SIGCONT)
    proc.terminate()
    proc.wait(10)


def test_a_short_blip_keeps_the_lock_a_long_one_gives_it_up_and_it_is_taken_again(private_redis):
    proc, url, client = private_redis
    lead = Leadership(redis_url=url, ttl=3.0)
    other = Leadership(redis_url=url, ttl=3.0)
    assert lead.refresh() is True and other.refresh() is False

    os.kill(proc.pid, signal.SIGSTOP)  # Redis stops answering
    try:
        assert lead.refresh() is True  # within the TTL: still ours
        time.sleep(2.6)
        assert lead.refresh() is False  # past 80% of the TTL without a word from Redis: we stop running jobs
    finally:
        os.kill(proc.pid, signal.SIGCONT)

    deadline = time.monotonic() + 6
    while client.exists("maitre:scheduler:lock") and time.monotonic() < deadline:
        time.sleep(0.1)  # the old lock expires in Redis
    assert other.refresh() is True  # someone else may now run the jobs...
    assert lead.refresh() is False  # ...and the first stands by without exiting
    other.release()
    assert lead.refresh() is True  # and takes over again when the lock is free
    assert client.exists("maitre:scheduler:lock")
