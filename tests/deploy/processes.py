"""Start the Procfile's processes as real processes against the test database and a Redis db, for tests
that must see the deployed topology (a scheduler process, worker processes, their metrics)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database (pytest-django's test_<name>), as the child processes must reach it."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def topology_env(tmp: Path, **extra: str) -> dict[str, str]:
    (tmp / "metrics").mkdir(exist_ok=True)
    (tmp / "mail").mkdir(exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
        "LOG_LEVEL": "WARNING",
        "dramatiq_worker_timeout": "100",  # noqa: SIM112 (dramatiq's name): idle consumers poll every 100 ms
        **extra,
    }


class Process:
    """A Procfile process (`manage.py ...`, or `gunicorn ...` for the web) with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._out = open(self.log, "wb")  # noqa: SIM115 (closed in stop)
        argv = (
            [sys.executable, "-m", *args]
            if args and args[0] == "gunicorn"
            else [sys.executable, "manage.py", *args]
        )
        self.proc = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.alive():
            stop_group(self.proc, timeout)
        self._out.close()


def stop_group(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop a process started with start_new_session=True, and everything it started, as a supervisor would:
    SIGTERM to the group, then SIGKILL after `timeout`. The group is stopped when none of it is left, not when
    its leader has exited (a leader may exit before what it started, or without it). A group still alive at the
    deadline is a warning in the test report with what was left (pid, state, kernel wait, command), never a
    silent leftover."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not _group_alive(proc.pid):
        return
    left = subprocess.run(
        ["ps", "-o", "pid,stat,wchan:20,etime,args", "-g", str(proc.pid)], capture_output=True, text=True
    ).stdout
    warnings.warn(
        f"process group {proc.pid} still up {timeout:.0f} s after SIGTERM, killed:\n{left}", stacklevel=2
    )
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (once its leader is reaped, proc.wait; one that exited
    and waits for init to reap it is not running)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(pgrp) == pgid and state != "Z":
            return True
    return False


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def free_port(ports=range(8141, 8160)) -> int:
    import socket

    for port in ports:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8141-8159")
