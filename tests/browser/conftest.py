"""Real-browser tests: Playwright driving Debian's chromium (never a downloaded browser).

They skip when /usr/bin/chromium is missing, unless MAITRE_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real chromium through Playwright (tests/browser)")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def console_clock(monkeypatch):
    """The console's "now" is noon of the test day, so "tonight" is the day the factories book."""
    from tests.factories import at

    monkeypatch.setattr("assignments.admin.common.console_now", lambda: at("12:00"))
    return at("12:00")


@pytest.fixture
def browser_page(monkeypatch):
    """A fresh headless chromium page. Playwright's sync API runs an event loop in this thread, so the ORM
    calls the test makes around it need DJANGO_ALLOW_ASYNC_UNSAFE."""
    if not CHROMIUM.exists():
        if os.environ.get("MAITRE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing and MAITRE_REQUIRE_SERVICES=1: run .ci/install-extras")
        pytest.skip(f"needs chromium at {CHROMIUM} (apt-get install chromium, or .ci/install-extras)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})  # a laptop at the host stand
        page = context.new_page()
        # The timeline's live refresh (a Server-Sent Events stream) would hold a live-server thread and a database
        # connection past the test; the pages work without it.
        page.route("**/api/availability/stream*", lambda route: route.abort())
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright's loop ran may have opened a connection of their own; a
            # persistent one (CONN_MAX_AGE) would keep the test database from being dropped at the end.
            connections.close_all()
    connections.close_all()


def sign_in_as_manager(page, live_server, next_url: str) -> None:
    """Create the superuser `manager` and sign in through the admin's login form, landing on `next_url`."""
    import re

    from django.contrib.auth.models import User

    User.objects.create_superuser("manager", "m@example.com", "busy-night")
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "busy-night")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))
