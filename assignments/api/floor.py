"""The evening over the API, for hosts and managers: seat a party that arrived, complete one that left, mark a
no-show. Each is one call of assignments.services.booking_requests.booking_serve_for_client (the lifecycle door,
with its version check); walk-ins are in walk_ins.py. Refusals are mapped by assignments.api.errors."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import VERSION_MAX
from assignments.api.permissions import FLOOR_ROLES
from assignments.api.views import BookingOutput, _actor, _answer, _booking_of_caller
from assignments.services.booking_requests import booking_serve_for_client


def clock() -> datetime:
    """The moment a step happens (the party arrived, left, or was given up on): now."""
    return timezone.now()


class ServiceStepInput(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=VERSION_MAX,
        required=False,
        help_text="Optimistic concurrency check: the version you last read; a booking changed since is a 409.",
    )


class _ServiceStepApi(APIView):
    throttle_scope = "bookings"
    required_roles = FLOOR_ROLES
    step = ""

    def post(self, request, pk: int):
        booking = _booking_of_caller(request, pk)
        self.check_object_permissions(request, booking)
        data = ServiceStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking_serve_for_client(
            booking=booking,
            step=self.step,
            expected_version=data.validated_data.get("version"),
            actor=_actor(request),
            now=clock(),
        )
        return _answer(booking.pk, status.HTTP_200_OK)


def _step_schema(description: str):
    return extend_schema(
        request=ServiceStepInput,
        responses={200: BookingOutput, **error_responses(400, 403, 404, 409, 413, 415)},
        description=description
        + " Idempotent: a booking already there answers 200 as it is. 400 `invalid_state` (with `state`) when "
        "its state does not allow the step; 409 `version_conflict` when `version` is stale; 403 for a role "
        "other than host or manager.",
    )


class BookingSeatApi(_ServiceStepApi):
    step = "seat"

    @_step_schema(
        "The party arrived: confirmed → seated (`arrived_at` now; `arrived_late` when it came more than the "
        "restaurant's late tolerance after its start)."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class BookingCompleteApi(_ServiceStepApi):
    step = "complete"

    @_step_schema(
        "The party left: seated → completed (`left_at` now); the rest of its tables' time is free at once."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)


class BookingNoShowApi(_ServiceStepApi):
    step = "no_show"

    @_step_schema(
        "The party did not come: confirmed → no_show, once the booking has started (before that, cancel it); "
        "its tables are free from now."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)
