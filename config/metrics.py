"""Metrics from every process. With PROMETHEUS_MULTIPROC_DIR set (production, `make up`), each process
(gunicorn workers, dramatiq workers, the scheduler) writes its samples to files there and the web's
/metrics adds them all up; without it, /metrics shows this process only.

Start the directory empty when the topology starts (the Procfile's processes share it), and call
`process_started(role)` once in each long-running process after Django is set up.

A process's live gauges (`maitre_process_up`, `maitre_scheduler_leader`, `maitre_circuit_breaker_open`) count
only while it is alive, however it dies: `process_started` starts a thread that touches a heartbeat file in the
directory every MAITRE_METRICS_HEARTBEAT_SECONDS, and the scrape leaves out the live gauges of a process whose
heartbeat is older than three beats (a SIGKILL, an OOM kill or a frozen process runs no exit hook). Liveness is
the heartbeat, not `kill(pid, 0)`, so a process that is hung rather than gone drops out too. The files are named
by pid (prometheus_client's naming), so the processes sharing the directory must share one PID namespace
(docs/deploy.md). Counters and histograms of dead
processes stay in the sums, as prometheus_client keeps them.
"""

from __future__ import annotations

import atexit
import glob
import logging
import os
import signal
import threading
import time

import dramatiq
from django.conf import settings
from django.http import HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger("maitre.metrics")

PROCESS_UP = Gauge(
    "maitre_process_up",
    "1 per live process of this role (web, worker, scheduler).",
    ["role"],
    multiprocess_mode="livesum",
)

LIVE_MODES = frozenset({"liveall", "livesum", "livemax", "livemin", "livemostrecent"})
STALE_BEATS = 3  # a process silent this many beats no longer counts
FORGET_BEATS = 120  # and after this many its live gauge files are deleted (10 minutes at 5 s)


def multiprocess_dir() -> str:
    return settings.PROMETHEUS_MULTIPROC_DIR


def heartbeat_path(path: str, pid: int | str) -> str:
    return os.path.join(path, f"heartbeat_{pid}")


def process_started(role: str) -> None:
    """Mark this process alive for its role: its heartbeat starts, and on a clean exit its live gauges go at
    once (pid files stay for counters); after a crash the scrape drops them once the heartbeat is stale."""
    if multiprocess_dir():
        Heartbeat.start(multiprocess_dir(), settings.MAITRE_METRICS_HEARTBEAT_SECONDS)
    PROCESS_UP.labels(role).set(1)
    if multiprocess_dir():
        pid = os.getpid()
        atexit.register(lambda: process_exited(pid))


def process_exited(pid: int) -> None:
    """For a clean exit or a supervisor that sees one (gunicorn's child_exit): the process's live gauges no
    longer count, without waiting for its heartbeat to go stale."""
    if multiprocess_dir():
        forget_process(pid, multiprocess_dir())


def forget_process(pid: int | str, path: str) -> None:
    """Delete a dead process's live gauge files and its heartbeat (needs no Django: gunicorn's arbiter calls it)."""
    if int(pid) == os.getpid():
        Heartbeat.stop_here()
    multiprocess.mark_process_dead(pid, path)
    try:
        os.remove(heartbeat_path(path, pid))
    except FileNotFoundError:
        pass


class Heartbeat:
    """A daemon thread that touches this process's heartbeat file every `interval` seconds. The kernel stamps
    the file's mtime, so a process's own clock (skewed, faked) does not matter. If the file is gone, the scrape
    forgot this process (it was frozen longer than FORGET_BEATS) and its live gauges are lost: it ends itself
    (SIGTERM, the graceful stop) so that its supervisor starts one that counts."""

    _pid: int | None = None
    _stop = threading.Event()

    @classmethod
    def start(cls, path: str, interval: float) -> None:
        if cls._pid == os.getpid():  # already beating in this process (a forked child starts its own)
            return
        cls._pid = os.getpid()
        cls._stop = threading.Event()
        beat = heartbeat_path(path, cls._pid)
        with open(beat, "a"):
            pass
        threading.Thread(
            target=cls._run, args=(beat, interval, cls._stop), name="metrics-heartbeat", daemon=True
        ).start()

    @classmethod
    def stop_here(cls) -> None:
        if cls._pid == os.getpid():
            cls._stop.set()

    @staticmethod
    def _run(beat: str, interval: float, stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                os.utime(beat)
            except FileNotFoundError:
                if stop.is_set():
                    return
                logger.error(
                    "metrics heartbeat %s was removed (this process was silent too long); stopping", beat
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return
            except OSError:
                logger.exception("metrics heartbeat %s could not be touched", beat)


class LiveProcessCollector(multiprocess.MultiProcessCollector):
    """prometheus_client's multiprocess collector, leaving out the live gauges of processes whose heartbeat is
    stale (or that never had one: a one-off command), and deleting them once it is very old."""

    def __init__(self, registry, path: str, *, heartbeat_seconds: float):
        super().__init__(registry, path=path)
        self.stale_after = STALE_BEATS * heartbeat_seconds
        self.forget_after = FORGET_BEATS * heartbeat_seconds

    def collect(self):
        return self.merge(self.counted_files(), accumulate=True)

    def counted_files(self) -> list[str]:
        now = time.time()
        counted: list[str] = []
        ages: dict[str, float | None] = {}
        for f in glob.glob(os.path.join(self._path, "*.db")):
            typ, _, rest = os.path.basename(f).partition("_")
            mode, _, pid = rest.removesuffix(".db").rpartition("_")
            if typ != "gauge" or mode not in LIVE_MODES:
                counted.append(f)
                continue
            if pid not in ages:
                ages[pid] = self._silence(pid, f, now)
            age = ages[pid]
            if age is None:  # deleted under us
                continue
            if age <= self.stale_after:
                counted.append(f)
            elif age > self.forget_after:
                forget_process(pid, self._path)
        return counted

    def _silence(self, pid: str, gauge_file: str, now: float) -> float | None:
        """Seconds since the process's last heartbeat, or since its gauge file appeared if it has none."""
        for f in (heartbeat_path(self._path, pid), gauge_file):
            try:
                return now - os.stat(f).st_mtime
            except FileNotFoundError:
                continue
        return None


def scrape_registry() -> CollectorRegistry:
    from assignments.metrics import BacklogCollector, ManualReviewCollector

    if not multiprocess_dir():
        return REGISTRY  # the database-backed collectors are registered there by AssignmentsConfig.ready
    registry = CollectorRegistry()
    LiveProcessCollector(
        registry, multiprocess_dir(), heartbeat_seconds=settings.MAITRE_METRICS_HEARTBEAT_SECONDS
    )
    registry.register(ManualReviewCollector())
    registry.register(BacklogCollector())
    return registry


def metrics_view(request):
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class ProcessMetricsMiddleware(dramatiq.Middleware):
    """Dramatiq middleware: each worker process (the `worker` command's, or each child a forking dramatiq
    CLI starts) marks itself alive as a `worker` for the metrics."""

    def after_process_boot(self, broker):
        process_started("worker")

    def before_process_stop(self, broker):
        process_exited(os.getpid())
