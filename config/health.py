"""GET /health/: is the database, the cache/lock store and the broker reachable? 503 when one is not."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_database() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "embedded"
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()
    return "ok"


def _check_broker() -> str:
    import dramatiq

    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is None:
        return "embedded"
    client.ping()
    return "ok"


def health(request):
    checks = {}
    healthy = True
    for name, check in (("database", _check_database), ("redis", _check_redis), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports, it never raises
            # The exception text names hosts and ports: staff only.
            checks[name] = f"error: {exc.__class__.__name__}: {exc}" if _is_staff(request) else "error"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )


def _is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)
