"""Per-client throttles on the shared cache (Redis in production): a burst and a sustained rate for each scope.

A view names its scope with `throttle_scope` ("bookings", "holds", "availability", "stream"); the rate is
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["<scope>.burst"|"<scope>.sustained"], falling back to "api.*".
Rates are read per request, so a changed setting applies at once.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _ClientThrottle(SimpleRateThrottle):
    window = ""

    def __init__(self):  # the rate depends on the view: chosen in allow_request
        pass

    def get_cache_key(self, request, view):
        ident = (
            f"user:{request.user.pk}"
            if request.user and request.user.is_authenticated
            else f"ip:{self.get_ident(request)}"
        )
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request, view):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        scope = f"{getattr(view, 'throttle_scope', 'api')}.{self.window}"
        if scope not in rates:
            scope = f"api.{self.window}"
        self.scope = scope
        self.rate = rates.get(scope)
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ClientBurstThrottle(_ClientThrottle):
    window = "burst"


class ClientSustainedThrottle(_ClientThrottle):
    window = "sustained"
