"""Who may read the service's insides: /metrics (Prometheus) and the OpenAPI schema and docs.

Open in development (the defaults), closed in production settings unless asked for: /metrics then answers
a bearer token (MAITRE_METRICS_TOKEN) or an allowed address (MAITRE_METRICS_ALLOWED_IPS); the schema and
docs answer authenticated API clients and staff."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import JsonResponse
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny, IsAuthenticated


def _metrics_allowed(request) -> bool:
    rules = settings.MAITRE_API
    if rules["METRICS_PUBLIC"]:
        return True
    token = rules["METRICS_TOKEN"]
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR", "") in rules["METRICS_ALLOWED_IPS"]


def metrics(request):
    if not _metrics_allowed(request):
        return JsonResponse({"error": "not_found", "detail": "No such page."}, status=404)
    return ExportToDjangoView(request)


class _DocsPermission:
    """AllowAny when MAITRE_DOCS_PUBLIC, else IsAuthenticated (read per request)."""

    def __new__(cls):
        return AllowAny() if settings.MAITRE_API["DOCS_PUBLIC"] else IsAuthenticated()


class SchemaView(SpectacularAPIView):
    permission_classes = [_DocsPermission]
    throttle_classes = []


class SwaggerView(SpectacularSwaggerView):
    permission_classes = [_DocsPermission]
    throttle_classes = []


class RedocView(SpectacularRedocView):
    permission_classes = [_DocsPermission]
    throttle_classes = []
