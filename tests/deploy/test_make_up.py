"""`make up` runs the Procfile's topology (honcho) on Postgres + Redis: the web answers under gunicorn and
its /metrics counts a live web, worker and scheduler; Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings

from tests.deploy.processes import database_url, free_port, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def test_make_up_runs_the_procfile_on_postgres_and_redis(tmp_path, redis_client):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
           "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "0", "MAITRE_VAR_DIR": str(tmp_path)}
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(["make", "up", f"UP_PORT={port}", f"UP_METRICS={tmp_path / 'metrics'}"], cwd=settings.BASE_DIR, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def all_up():
            text = _get(f"http://127.0.0.1:{port}/metrics")
            return all(f'maitre_process_up{{role="{role}"}} 1.0' in text for role in ("web", "worker", "scheduler"))

        assert wait_until(all_up, 90), (tmp_path / "up.log").read_text()[-4000:]
        assert '"status": "ok"' in _get(f"http://127.0.0.1:{port}/health/").replace('":"', '": "')
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    time.sleep(0.5)
    out = (tmp_path / "up.log").read_text()
    assert "web.1 stopped" in out and "worker.1 stopped" in out and "scheduler.1 stopped" in out
