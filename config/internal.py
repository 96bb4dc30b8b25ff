"""Who may read the service's insides: /metrics (Prometheus) and the OpenAPI schema and docs.

Open in development (the defaults), closed in production settings unless asked for: /metrics then answers
a bearer token (MAITRE_METRICS_TOKEN) or an allowed address (MAITRE_METRICS_ALLOWED_IPS); the schema and
docs answer authenticated API clients and staff."""

from __future__ import annotations

import hmac

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import BasePermission

from assignments.api.errors import json_404
from assignments.conf import api_settings


def _metrics_allowed(request) -> bool:
    rules = api_settings
    if rules.METRICS_PUBLIC:
        return True
    token = rules.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR", "") in rules.METRICS_ALLOWED_IPS


def metrics(request):
    if not _metrics_allowed(request):
        return json_404(request)  # as for any unknown page
    from config.metrics import metrics_view  # every process's samples (multiprocess mode) or this one's

    return metrics_view(request)


class DocsPermission(BasePermission):
    """Anyone when MAITRE_DOCS_PUBLIC, else authenticated API clients and staff (read per request)."""

    def has_permission(self, request, view) -> bool:
        return api_settings.DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    permission_classes = [DocsPermission]
    throttle_classes = []


class SwaggerView(SpectacularSwaggerView):
    permission_classes = [DocsPermission]
    throttle_classes = []


class RedocView(SpectacularRedocView):
    permission_classes = [DocsPermission]
    throttle_classes = []
