"""The coordinator tests' fixtures serve here too: a fresh breaker / limiter / lock manager per test, a real
in-process worker on the configured broker, and the `manage.py worker` process."""

from tests.coordinator.conftest import _fresh_resilience, worker  # noqa: F401
from tests.coordinator.test_worker_process import start_worker, worker_process  # noqa: F401
