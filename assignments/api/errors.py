"""Every API error is JSON: {"error": code, "detail": text, "fields": {...}} (fields only for invalid input).

The DRF exception handler is the one mapping from errors to answers: DRF's own, the domain's refusals
(`DOMAIN_ERRORS`: the lifecycle's, the services'; other apps add theirs with `map_domain_error`), django's
ValidationError and DoesNotExist, and a database that is away. Views raise and never format errors by hand;
assignments.api.middleware shapes what happens outside DRF (unknown URLs, over-large bodies, unhandled
exceptions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from assignments import lifecycle
from assignments.services.allocations import AllocationConflict
from assignments.services.errors import BookingBusy, BookingStateRefused, ExternalRefTaken
from assignments.services.holds import HoldLimitReached
from assignments.services.walk_ins import WalkInRefused

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


@dataclass(frozen=True)
class DomainError:
    """How one kind of refusal answers: its HTTP status, its stable code, and extra fields from the exception."""

    status: int
    code: str
    extra: Callable[[Exception], dict] = field(default=lambda exc: {})


DOMAIN_ERRORS: dict[type[Exception], DomainError] = {
    lifecycle.VersionConflict: DomainError(409, "version_conflict"),
    lifecycle.InvalidTransition: DomainError(400, "invalid_state", lambda exc: {"state": exc.state}),
    BookingStateRefused: DomainError(400, "invalid_state", lambda exc: {"state": exc.state}),
    BookingBusy: DomainError(409, "locked"),
    ExternalRefTaken: DomainError(409, "external_ref_conflict", lambda exc: {"original": exc.original}),
    AllocationConflict: DomainError(409, "conflict"),
    HoldLimitReached: DomainError(409, "hold_limit_reached"),
    WalkInRefused: DomainError(
        409,
        "no_table_free",
        lambda exc: {"next_free_at": exc.next_free_at.isoformat() if exc.next_free_at else None},
    ),
}


def map_domain_error(
    exc_type: type[Exception], *, status: int, code: str, extra: Callable[[Exception], dict] | None = None
) -> None:
    """Let an app's own refusal answer through the one handler (availability's hold conflicts, for one)."""
    DOMAIN_ERRORS[exc_type] = DomainError(status, code, extra or (lambda exc: {}))


def validation_fields(exc: DjangoValidationError) -> dict:
    """A django ValidationError's messages by field, as the API shows them under "fields"."""
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def domain_response(exc: Exception) -> Response | None:
    """The answer to a refusal the domain raised, or None when it is not one of ours."""
    for klass in type(exc).__mro__:
        mapped = DOMAIN_ERRORS.get(klass)
        if mapped is not None:
            return Response(
                {"error": mapped.code, "detail": str(exc), **mapped.extra(exc)}, status=mapped.status
            )
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"error": "invalid", "detail": "The request is not valid.", "fields": validation_fields(exc)},
            status=400,
        )
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"error": "not_found", "detail": "No such resource."}, status=404)
    return None


def _database_read_only(exc: BaseException) -> bool:
    """Postgres refusing a write because it is read-only (SQLSTATE 25006: a standby, or
    default_transaction_read_only during a failover); Django raises it as an InternalError."""
    return isinstance(exc, DatabaseError) and getattr(exc.__cause__, "sqlstate", None) == "25006"


def json_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: the domain's refusals first, then DRF's own errors in our shape, then a 503
    for an absent database; anything else is left to the 500 path (middleware), with a correlation id."""
    mapped = domain_response(exc)
    if mapped is not None:
        set_rollback()  # as DRF does for its own: an atomic request writes nothing of a refused one
        return mapped
    response = exception_handler(exc, context)
    if response is None and (
        isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError) or _database_read_only(exc)
    ):
        # The database is away (a restart, a failover, read-only while a replica is promoted) or a lock waited
        # past DB_LOCK_TIMEOUT: nothing was written; try again shortly.
        response = Response(
            {"error": "unavailable", "detail": "The service is briefly unavailable; retry shortly."},
            status=503,
            headers={"Retry-After": "2"},
        )
        return response
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "error": "invalid",
            "detail": "The request is not valid.",
            "fields": data if isinstance(data, dict) else {"non_field_errors": data},
        }
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
    original = serializers.IntegerField(
        required=False, help_text="On an external_ref clash: the original booking."
    )


def error_responses(*codes: int) -> dict:
    """OpenAPI responses for the given error statuses, plus those any authenticated endpoint may answer."""
    from drf_spectacular.utils import OpenApiResponse

    descriptions = {
        400: "Invalid input (fields name the problems)",
        401: "No or bad token",
        403: "Your role at the restaurant does not allow this (detail says who may)",
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
