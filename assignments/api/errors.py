"""Every API error is JSON: {"error": code, "detail": text, "fields": {...}} (fields only for invalid input).

The DRF exception handler shapes errors raised in views; assignments.api.middleware does the same for what
happens outside DRF (unknown URLs, over-large bodies, unhandled exceptions)."""

from __future__ import annotations

from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


def json_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None and isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # The database is away (a restart, a failover): nothing was written; try again shortly.
        response = Response({"error": "unavailable", "detail": "The service is briefly unavailable; retry shortly."},
                            status=503, headers={"Retry-After": "2"})
        return response
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"error": "invalid", "detail": "The request is not valid.",
                "fields": data if isinstance(data, dict) else {"non_field_errors": data}}
    elif isinstance(exc, Http404 | exceptions.NotFound):
        body = {"error": "not_found", "detail": "No such resource."}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(exc, "default_code", None) or STATUS_CODES.get(response.status_code, "error")
        body = {"error": code, "detail": str(detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait) + (0 if float(exc.wait).is_integer() else 1)
    response.data = body
    return response


def json_404(request, exception=None):
    return JsonResponse({"error": "not_found", "detail": "No such page."}, status=status.HTTP_404_NOT_FOUND)


def json_500(request):
    return JsonResponse({"error": "server_error", "detail": "Something went wrong on our side."}, status=500)


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (for the OpenAPI document)."""

    error = serializers.CharField(help_text="A stable code: invalid, not_found, conflict, throttled, ...")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Invalid input: the messages by field."
    )
    correlation_id = serializers.CharField(required=False, help_text="On a 500: quote it to us.")
    retry_after = serializers.IntegerField(required=False, help_text="On a 429: seconds to wait.")
    state = serializers.CharField(required=False, help_text="The booking's state, when it is the reason.")
    original = serializers.IntegerField(required=False, help_text="On an external_ref clash: the original booking.")


def error_responses(*codes: int) -> dict:
    """OpenAPI responses for the given error statuses, plus those any authenticated endpoint may answer."""
    from drf_spectacular.utils import OpenApiResponse

    descriptions = {
        400: "Invalid input (fields name the problems)",
        401: "No or bad token",
        404: "Unknown, or not one of your restaurants",
        405: "Method not allowed",
        406: "The Accept header asks for a type we do not serve",
        409: "Conflict",
        413: "Body too large",
        415: "Body is not JSON",
        429: "Throttled: wait Retry-After seconds",
        500: "Server error, with a correlation id",
        503: "The database is briefly away: retry after Retry-After seconds",
    }
    wanted = sorted({*codes, 401, 405, 406, 429, 500, 503})
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in wanted}
