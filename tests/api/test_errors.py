"""Every answer under /api/ is JSON in the documented shape, with DEBUG on or off; settings that keep the insides
private in production."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import DAY_ISO, at

pytestmark = pytest.mark.django_db


def assert_error(r, status, code=None):
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/json"), r["Content-Type"]
    body = r.json()
    assert set(body) >= {"error", "detail"}
    if code:
        assert body["error"] == code, body


@pytest.mark.parametrize("debug", [False, True])
def test_every_error_is_json(api_a, restaurant, settings, debug):
    settings.DEBUG = debug
    assert_error(api_a.get("/api/nowhere"), 404, "not_found")
    assert_error(api_a.get("/api/bookings/abc"), 404, "not_found")
    assert_error(api_a.get("/api/bookings/999999"), 404, "not_found")
    assert_error(api_a.delete("/api/bookings"), 405, "method_not_allowed")
    assert_error(
        api_a.post("/api/bookings", "party_size=2", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    assert_error(
        api_a.post("/api/bookings", "{not json", content_type="application/json"), 400, "parse_error"
    )
    assert_error(api_a.post("/api/bookings", {"notes": "x" * 100_000}, format="json"), 413, "too_large")
    assert_error(APIClient().get("/api/bookings/1"), 401, "not_authenticated")
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(bad_token.get("/api/bookings/1"), 401)


@pytest.mark.parametrize("debug", [False, True])
def test_a_500_is_json_with_a_logged_correlation_id(api_a, restaurant, settings, monkeypatch, caplog, debug):
    settings.DEBUG = debug
    from assignments.services import booking_requests

    def boom(**kwargs):
        raise RuntimeError("secret database password in here")

    monkeypatch.setattr(booking_requests, "booking_create", boom)
    body = {"restaurant": restaurant.slug, "party_size": 2, "start_at": at("19:00").isoformat()}
    r = api_a.post("/api/bookings", body, format="json")
    assert_error(r, 500, "server_error")
    correlation_id = r.json()["correlation_id"]
    assert len(correlation_id) == 32 and r["X-Correlation-ID"] == correlation_id
    assert "secret" not in r.content.decode()
    assert any(correlation_id in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_wsgi_and_asgi_default_to_production_settings(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MAITRE_VAR_DIR": str(tmp_path)}
    for module in ("config.wsgi", "config.asgi"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        # Production settings refuse to start without a real SECRET_KEY: proof that they are the default.
        assert done.returncode != 0 and "SECRET_KEY is not set; production needs" in done.stderr, done.stderr[
            -500:
        ]


def test_metrics_can_be_closed_and_opened_with_a_token(settings):
    settings.MAITRE_API = {
        **settings.MAITRE_API,
        "METRICS_PUBLIC": False,
        "METRICS_TOKEN": "s3cret",
        "METRICS_ALLOWED_IPS": [],
    }
    client = Client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    settings.MAITRE_API = {**settings.MAITRE_API, "METRICS_ALLOWED_IPS": ["127.0.0.1"]}
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_production_settings_close_metrics_and_docs():
    code = (
        "from config.settings import prod; "
        "assert not prod.MAITRE_API['METRICS_PUBLIC'] and not prod.MAITRE_API['DOCS_PUBLIC'] and not prod.DEBUG"
    )
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "k" * 60}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-500:]


def test_docs_can_require_a_client(settings, api_a):
    settings.MAITRE_API = {**settings.MAITRE_API, "DOCS_PUBLIC": False}
    assert_error(APIClient().get("/api/schema/"), 401)
    assert api_a.get("/api/schema/").status_code == 200
    assert api_a.get("/api/docs/").status_code == 200


def test_health_shows_error_detail_only_to_staff(monkeypatch):
    from config import health

    def down():
        raise ConnectionError("Error 111 connecting to db.internal:6379")

    monkeypatch.setattr(health, "_check_redis", down)
    r = Client().get("/health/")
    assert (
        r.status_code == 503 and r.json()["checks"]["redis"] == "error" and "6379" not in r.content.decode()
    )
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("ops", is_staff=True))
    assert "6379" in staff.get("/health/").json()["checks"]["redis"]


def test_an_unknown_format_parameter_is_ignored_and_an_unknown_accept_is_a_json_406(api_a, restaurant):
    r = api_a.get(f"/api/availability?restaurant={restaurant.slug}&date={DAY_ISO}&party_size=2&format=AAA")
    assert r.status_code == 200
    assert_error(api_a.get("/api/bookings/1", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")
