"""The scheduler process: sends every periodic job (`@cron` / `@interval` actors) to the workers.

One scheduler runs the jobs at a time, under a Redis lock; any number may be started (one per machine is
the usual), the others wait. Unlike dramatiq-crontab's `crontab` command, which exits when its lock is
lost, this one survives: after a Redis blip it keeps its lock if it still owns it, and after losing it
(a blip longer than the lock's TTL, or another scheduler took over) it pauses the jobs and tries to take
the lock again. A supervisor never has to restart it by hand.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler
from django.apps import apps
from django.conf import settings

from assignments import metrics
from assignments.conf import events_settings
from assignments.management.base import MaitreCommand

logger = logging.getLogger("maitre.scheduler")
LOCK_NAME = "maitre:scheduler:lock"


def periodic_jobs() -> list:
    """Every job declared with dramatiq-crontab's decorators in the apps' `tasks` and `jobs` modules."""
    from dramatiq_crontab import scheduler as declared

    for app in apps.get_app_configs():
        if app.name == "dramatiq_crontab":  # its demo heartbeat is not ours to run
            continue
        for module in ("tasks", "jobs"):
            try:
                importlib.import_module(f"{app.name}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.{module}":
                    raise
    return [job for job in declared.get_jobs() if job.name != "heartbeat"]


def _sender(name: str, send):
    def run():
        send()
        metrics.SCHEDULER_RUNS.labels(name).inc()
        logger.info("sent %s", name)

    return run


class Leadership:
    """Holds the scheduler lock: `refresh()` says whether this process may run the jobs right now."""

    def __init__(self, *, redis_url: str, ttl: float):
        self.ttl = ttl
        self.held = False
        self.last_confirmed = 0.0
        self.lock = None
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
            self.lock = client.lock(LOCK_NAME, timeout=ttl, thread_local=False)

    def refresh(self) -> bool:
        if self.lock is None:  # embedded: a single process, nobody to share with
            self.held = True
            return True
        from redis.exceptions import LockError, RedisError

        try:
            if self.held:
                self.lock.reacquire()
            else:
                self.held = bool(self.lock.acquire(blocking=False))
            if self.held:
                self.last_confirmed = time.monotonic()
        except LockError:  # LockNotOwnedError included: its TTL ran out and maybe another took it
            self.held = False
        except RedisError as exc:
            # Redis is away: we still own the lock until its TTL runs out, and not a moment longer.
            logger.warning("scheduler lock: %s", exc)
            if self.held and time.monotonic() - self.last_confirmed >= self.ttl * 0.8:
                self.held = False
        return self.held

    def release(self) -> None:
        if self.lock is not None and self.held:
            try:
                self.lock.release()
            except Exception:
                pass
        self.held = False


class Command(MaitreCommand):
    help = "Run the periodic jobs; one scheduler at a time holds the Redis lock, the others stand by."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list",
            dest="list_jobs",
            action="store_true",
            help="Print the jobs and their triggers, then exit.",
        )

    def handle(self, *args, list_jobs=False, **options):
        from config.metrics import process_started

        jobs = periodic_jobs()
        if list_jobs:
            for job in sorted(jobs, key=lambda j: j.name):
                self.stdout.write(f"{job.name:32} {job.trigger}")
            return
        process_started("scheduler")
        leadership = Leadership(redis_url=settings.REDIS_URL, ttl=events_settings.SCHEDULER_LOCK_TTL_SECONDS)
        scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        for job in jobs:
            scheduler.add_job(_sender(job.name, job.func), job.trigger, name=job.name)
        scheduler.start(paused=True)

        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"scheduler: {len(jobs)} job(s): {', '.join(sorted(j.name for j in jobs))}")
        running = False
        try:
            while not stop.is_set():
                lead = leadership.refresh()
                if lead and not running:
                    scheduler.resume()
                    self.stdout.write("scheduler: lock held, running the jobs")
                elif running and not lead:
                    scheduler.pause()
                    self.stdout.write("scheduler: lock lost, jobs paused; trying to take it again")
                running = lead
                metrics.SCHEDULER_LEADER.set(1 if running else 0)
                stop.wait(leadership.ttl / 4)
        finally:
            scheduler.shutdown(wait=False)
            leadership.release()
            metrics.SCHEDULER_LEADER.set(0)
            self.stdout.write("scheduler: stopped")
