"""GET /health/: is the database, the cache/lock store and the broker reachable? 503 when one is not. It also
reports how far this process's clock is from the database's ("skewed: ..." past MAITRE_MAX_CLOCK_SKEW_SECONDS),
without failing on it."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_database() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return "ok"


def _check_clock() -> str:
    """This process's clock against the database's (assignments.clock), reported, never failing the check: a
    database host whose clock drifts would otherwise take every web instance out of the load balancer at once,
    which no restart cures. The MaitreClockSkew alert is what acts on it."""
    from assignments.clock import clock_skew_measure
    from assignments.conf import maitre_settings

    skew = clock_skew_measure()
    if skew is None:
        return "embedded"
    if abs(skew) > maitre_settings.MAX_CLOCK_SKEW_SECONDS:
        return f"skewed: {skew:+.1f} s from the database's clock"
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
    checks_to_run = (
        ("database", _check_database),
        ("clock", _check_clock),
        ("redis", _check_redis),
        ("broker", _check_broker),
    )
    for name, check in checks_to_run:
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
