"""Every answer under /api/ is JSON, whatever produced it: Django's own 404/405/400 pages, an over-large body
(413, refused before anything reads it), and an unhandled exception (500 with a correlation id that is logged
with the traceback), with DEBUG on or off."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.http import JsonResponse

from assignments.api.errors import STATUS_CODES

logger = logging.getLogger("maitre.api")

API_PREFIX = "/api/"
JSON_TYPES = ("application/json", "application/problem+json", "application/vnd.oai.openapi+json")
PASSTHROUGH_TYPES = ("text/event-stream", "application/vnd.oai.openapi", "text/html")


def error_response(status: int, detail: str, **extra) -> JsonResponse:
    code = STATUS_CODES.get(status, "error")
    return JsonResponse({"error": code, "detail": detail, **extra}, status=status)


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        too_big = self._too_big(request)
        if too_big is not None:
            return too_big
        response = self.get_response(request)
        return self._as_json(request, response)

    def _too_big(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "Content-Length is not a number.")
        if limit is not None and length > limit:
            return error_response(413, f"The request body is larger than {limit} bytes.", max_bytes=limit)
        return None

    def _as_json(self, request, response):
        if response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if content_type in JSON_TYPES:
            return response
        if (
            request.path.startswith(("/api/docs/", "/api/redoc/"))
            and content_type == "text/html"
            and response.status_code not in (404, 500)
        ):
            return response
        detail = {
            404: "No such resource.",
            405: f"Method {request.method} is not allowed here.",
            400: "The request could not be read.",
            403: "Not allowed.",
            413: "The request body is too large.",
        }.get(response.status_code, "The request failed.")
        replacement = error_response(response.status_code, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        from django.core.exceptions import RequestDataTooBig, SuspiciousOperation

        if isinstance(exception, RequestDataTooBig):
            return error_response(
                413, "The request body is too large.", max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            )
        if isinstance(exception, SuspiciousOperation):
            return error_response(400, "The request could not be read.")
        correlation_id = uuid.uuid4().hex
        logger.error(
            "API %s %s failed [correlation_id=%s]",
            request.method,
            request.path,
            correlation_id,
            exc_info=exception,
            extra={"correlation_id": correlation_id},
        )
        response = error_response(
            500, "Something went wrong on our side; quote the correlation id.", correlation_id=correlation_id
        )
        response["X-Correlation-ID"] = correlation_id
        return response
