from __future__ import annotations

import time

import dramatiq
import pytest

from assignments.locks import set_lock_manager
from assignments.resilience import reset_resilience


class RecordedRetries(list):
    def __call__(self, **kwargs):
        self.append(kwargs)


@pytest.fixture
def retries():
    return RecordedRetries()


@pytest.fixture(autouse=True)
def _fresh_resilience(settings):
    """Each test gets its own breaker, limiter backend and lock manager (and, on Redis, an empty db)."""
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        get_redis_connection("default").flushdb()
    reset_resilience()
    set_lock_manager(None)
    yield
    reset_resilience()
    set_lock_manager(None)


@pytest.fixture
def worker(transactional_db):
    """A real Dramatiq worker on the configured broker (Redis in CI, the stub broker embedded)."""
    import assignments.tasks  # noqa: F401

    broker = dramatiq.get_broker()
    for queue in list(broker.get_declared_queues()):
        broker.flush(queue)
    w = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    w.start()
    yield w
    w.stop()


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def pass_count(counter: str, outcome: str) -> float:
    """This process's count of one outcome of a wake-up or sweep counter (maitre_pipeline_notified_total,
    maitre_pipeline_sweeps_total)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(counter, {"outcome": outcome}) or 0.0
