"""One worker process: Dramatiq consumer threads for wake-ups and events, the listener that decides a
restaurant day as soon as Postgres notifies it (PostgreSQL only), the sweep that claims due bookings from
Postgres every second, and a thread for the re-seat solves so that none of those waits behind one. Run
several (the Procfile's `worker`), each under a supervisor that restarts it: a killed worker loses nothing,
its uncommitted batch rolls back and is due again."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.module_loading import autodiscover_modules

from assignments.management.base import MaitreCommand, positive_int

logger = logging.getLogger("maitre.worker")


class Command(MaitreCommand):
    help = (
        "Run one worker process: dramatiq consumer threads plus the due-work sweep (the Procfile's `worker`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads", type=positive_int, default=2, help="Consumer threads (default: %(default)s)."
        )
        parser.add_argument(
            "--queues", nargs="*", default=None, help="Queues to consume (default: all declared queues)."
        )
        parser.add_argument(
            "--no-sweep", action="store_true", help="Consume messages only; do not sweep Postgres."
        )
        parser.add_argument(
            "--no-listen",
            action="store_true",
            help="Do not LISTEN for Postgres notifications of due work (the Redis wake-up and the sweep remain).",
        )
        parser.add_argument(
            "--poll-ms",
            type=positive_int,  # a negative one killed every consumer thread while the process ran on
            default=50,
            help="How long an idle consumer waits on the broker before polling again, which bounds "
            "a wake-up's delay (default: %(default)s).",
        )

    def handle(self, *args, threads: int, queues, no_sweep: bool, no_listen: bool, poll_ms: int, **options):
        import dramatiq
        from django.db import connection

        from assignments.coordinator import ReseatJob, reseats_hand_to, reseats_release
        from assignments.listener import Listener
        from assignments.reseat_lane import ReseatLane
        from assignments.sweeper import Sweeper

        autodiscover_modules(*settings.DRAMATIQ_AUTODISCOVER_MODULES)  # tasks, and the periodic jobs modules
        broker = dramatiq.get_broker()
        declared = broker.get_declared_queues()
        unknown = sorted(set(queues or ()) - declared)
        if unknown:  # a typo made a worker that consumed nothing, silently
            raise CommandError(
                f"--queues: no queue {', '.join(map(repr, unknown))}; declared: {', '.join(sorted(q for q in declared if not q.endswith('.DQ')))}"
            )
        broker.emit_after("process_boot")
        _process_started()
        # At a graceful stop the re-seats it has queued but not started are due again at once (not after their
        # lease), for whichever worker sweeps first.
        lane: ReseatLane[ReseatJob] = ReseatLane(release=lambda jobs: reseats_release(jobs=jobs))
        lane.start()
        reseats_hand_to(lane.submit)
        worker = dramatiq.Worker(
            broker, queues=set(queues) if queues else None, worker_threads=threads, worker_timeout=poll_ms
        )
        worker.start()
        sweeper = None if no_sweep else Sweeper()
        if sweeper is not None:
            sweeper.start()
        assigning = not queues or "assignments" in queues
        listener = Listener() if assigning and not no_listen and connection.vendor == "postgresql" else None
        if listener is not None:
            listener.start()
            listener.listening.wait(
                5.0
            )  # "ready" below means notified work reaches it (unless Postgres is away)
        stopping = threading.Event()

        def stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"worker ready: {threads} consumer thread(s), sweep {'off' if no_sweep else 'on'}, "
            f"listen {'on' if listener is not None else 'off'}"
        )
        self.stdout.flush()
        while not stopping.wait(1.0):
            pass
        logger.warning("worker stopping")
        if listener is not None:
            listener.stop()
        if sweeper is not None:
            sweeper.stop()
        worker.stop(timeout=10_000)
        reseats_hand_to(None)
        lane.stop()
        broker.close()


def _process_started() -> None:
    """Per-process metrics set-up, when the deployment provides one (config.metrics.process_started)."""
    try:
        from config.metrics import process_started
    except ImportError:
        return
    process_started("worker")
