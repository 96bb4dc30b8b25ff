"""Every API error is JSON: {"error": code, "detail": text, "fields": {...}}."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


def json_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"error": "invalid", "detail": "The request is not valid.", "fields": data}
    elif isinstance(exc, Http404 | exceptions.NotFound):
        body = {"error": "not_found", "detail": str(data.get("detail", "Not found.")) if isinstance(data, dict) else "Not found."}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(exc, "default_code", "error")
        body = {"error": code, "detail": str(detail)}
    response.data = body
    return response


def json_404(request, exception=None):
    return JsonResponse({"error": "not_found", "detail": "No such page."}, status=status.HTTP_404_NOT_FOUND)


def json_500(request):
    return JsonResponse({"error": "server_error", "detail": "Something went wrong on our side."}, status=500)
