"""Metrics from every process. With PROMETHEUS_MULTIPROC_DIR set (production, `make up`), each process
(gunicorn workers, dramatiq workers, the scheduler) writes its samples to files there and the web's
/metrics adds them all up; without it, /metrics shows this process only.

Start the directory empty when the topology starts (the Procfile's processes share it), and call
`process_started(role)` once in each long-running process after Django is set up.
"""

from __future__ import annotations

import atexit
import os

import dramatiq
from django.conf import settings
from django.http import HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PROCESS_UP = Gauge(
    "maitre_process_up",
    "1 per live process of this role (web, worker, scheduler).",
    ["role"],
    multiprocess_mode="livesum",
)


def multiprocess_dir() -> str:
    return settings.PROMETHEUS_MULTIPROC_DIR


def process_started(role: str) -> None:
    """Mark this process alive for its role; on exit, drop its live gauges (pid files stay for counters)."""
    PROCESS_UP.labels(role).set(1)
    if multiprocess_dir():
        pid = os.getpid()
        atexit.register(lambda: process_exited(pid))


def process_exited(pid: int) -> None:
    """For a supervisor (gunicorn's child_exit, the worker's process watcher): a dead process's live gauges
    no longer count."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid, multiprocess_dir())


def scrape_registry() -> CollectorRegistry:
    from assignments.metrics import BacklogCollector, ManualReviewCollector

    if not multiprocess_dir():
        return REGISTRY  # the database-backed collectors are registered there by AssignmentsConfig.ready
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir())
    registry.register(ManualReviewCollector())
    registry.register(BacklogCollector())
    return registry


def metrics_view(request):
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class ProcessMetricsMiddleware(dramatiq.Middleware):
    """Dramatiq middleware: each worker process marks itself alive as a `worker` for the metrics."""

    def after_process_boot(self, broker):
        process_started("worker")

    def before_process_stop(self, broker):
        process_exited(os.getpid())
