"""The API docs work offline: Swagger UI and Redoc come from drf-spectacular-sidecar's static files (no CDN),
and a browser sees the operations listed. Screenshot: artifacts/api-docs.png."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_lists_the_operations_without_the_network(live_server, browser_page, artifacts_dir):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    outside: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(live_server.url):
            return route.continue_()
        outside.append(url)
        return route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = {p.strip().replace("\u200b", "") for p in page.locator(".opblock-summary-path").all_inner_texts()}
    assert {
        "/api/bookings",
        "/api/bookings/{id}",
        "/api/holds",
        "/api/availability",
        "/api/assignments/process",
    } <= paths, paths
    assert outside == []  # nothing was fetched from anywhere but the service
    page.screenshot(path=str(artifacts_dir / "api-docs.png"))

    # Redoc's page asks for web fonts and a logo elsewhere; blocked, it still renders from the package.
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_text("/api/bookings/{id}/cancel").first.wait_for(timeout=15_000)
    assert all(not url.endswith(".js") for url in outside), outside
