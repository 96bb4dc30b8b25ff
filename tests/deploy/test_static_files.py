"""Production serves its own static files: collectstatic, then the Procfile's web server (gunicorn) on the
production settings answers the admin's CSS (WhiteNoise), under its plain and its hashed name."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.processes import stop_group


def free_port() -> int:
    for port in range(8181, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8181-8199")


def get(url: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def production_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(60),
        MAITRE_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        ALLOWED_HOSTS="127.0.0.1",
    )
    return env


def test_a_production_server_serves_the_admin_css(production_env, tmp_path):
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "-v0"], env=production_env, check=True, cwd=settings.BASE_DIR
    )
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()

    port = free_port()
    # The Procfile's web process, as written there, on this port.
    web = (settings.BASE_DIR / "Procfile").read_text().split("web:", 1)[1].splitlines()[0].strip()
    assert web.startswith("gunicorn ")
    env = {**production_env, "PORT": str(port), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    server = subprocess.Popen(
        ["bash", "-c", f"exec {web}"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        status, headers, body = get(f"{base}/static/admin/css/base.css")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        assert headers.get("Content-Encoding") == "gzip" and len(body) > 100

        status, _, login = get(f"{base}/admin/login/")
        assert status == 200
        hashed = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login)
        assert hashed, "the admin links its CSS under a hashed name"
        status, headers, _ = get(base + hashed.group(1).decode())
        assert status == 200 and "immutable" in headers.get("Cache-Control", "")

        status, headers, _ = get(
            f"{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
        )
        assert status == 200 and "javascript" in headers["Content-Type"]  # the API docs need no CDN

        status, _, _ = get(f"{base}/static/admin/css/no-such-file.css")
        assert status == 404
    finally:
        stop_group(server)
