"""The booking platforms' API: create, read, modify and cancel bookings, and (re)process an assignment.

Views validate input (serializers), scope every lookup to the caller's restaurants (tenancy.selectors: another
tenant's booking is a 404), call one service (assignments.services.booking_requests) and shape the answer. They
never catch or format a refusal: the exception handler (assignments.api.errors) maps each to its JSON answer.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import (
    VERSION_MAX,
    ApiDateTimeField,
    RestaurantSlugField,
    StrictBooleanField,
    StrictCharField,
    StrictSlugField,
    localize,
)
from assignments.api.permissions import BOOKING_ROLES
from assignments.lifecycle import Actor
from assignments.models import Booking, Restaurant, Zone
from assignments.models.bookings import LEGACY_STATUSES
from assignments.phones import PhoneInvalid, phone_normalize
from assignments.selectors.bookings import booking_for_answer, booking_in, restaurant_in
from assignments.services.booking_requests import (
    booking_cancel_for_client,
    booking_request_create,
    booking_request_modify,
    booking_request_processing,
)
from assignments.services.pipeline import TRIGGERS
from tenancy.selectors import restaurant_ids_for_user


def _actor(request) -> Actor:
    return Actor(label=f"api:{request.user.get_username()}", user=request.user)


def _booking_of_caller(request, pk: int) -> Booking:
    """The booking if it is one of the caller's restaurants' (another tenant's is a 404)."""
    return booking_in(pk=pk, restaurant_ids=restaurant_ids_for_user(request.user))


def _restaurant_of_caller(request, slug: str) -> Restaurant:
    """The restaurant if it is one of the caller's (another tenant's, or an unknown slug, is a 404)."""
    return restaurant_in(slug=slug, restaurant_ids=restaurant_ids_for_user(request.user))


class AttemptOutput(serializers.Serializer):
    attempt_no = serializers.IntegerField()
    strategy = serializers.CharField()
    result = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class BookingOutput(serializers.ModelSerializer):
    restaurant: serializers.SlugRelatedField[Restaurant] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    status = serializers.ChoiceField(
        source="legacy_status",
        read_only=True,
        choices=LEGACY_STATUSES,
        help_text="Legacy status: confirmed, seated, completed, no_show and cancelled as the state; the rest pending.",
    )
    preferred_zone: serializers.SlugRelatedField[Zone] = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    tables = serializers.SerializerMethodField()
    attempts = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "restaurant",
            "external_ref",
            "status",
            "state",
            "version",
            "party_size",
            "start_at",
            "end_at",
            "guest_name",
            "preferred_zone",
            "needs_accessible",
            "assignment_attempts",
            "assigned_at",
            "assignment_strategy",
            "tables",
            "attempts",
            "arrived_at",
            "arrived_late",
            "left_at",
            "created_at",
            "updated_at",
        ]

    def get_tables(self, obj) -> list[str]:
        return sorted(a.table.label for a in obj.allocations.all())

    @extend_schema_field(AttemptOutput(many=True))
    def get_attempts(self, obj) -> list[dict]:
        return [
            {
                "attempt_no": a.attempt_no,
                "strategy": a.strategy,
                "result": a.result,
                "reason": a.reason,
                "created_at": a.created_at,
            }
            for a in obj.attempts.all()
        ]


class BookingAcceptedOutput(BookingOutput):
    correlation_id = serializers.CharField(read_only=True, required=False)

    class Meta(BookingOutput.Meta):
        fields = [*BookingOutput.Meta.fields, "correlation_id"]


def _answer(booking_pk: int, http: int, correlation_id: str | None = None) -> Response:
    body = BookingOutput(booking_for_answer(pk=booking_pk)).data
    if correlation_id:
        body["correlation_id"] = correlation_id
    return Response(body, status=http)


class BookingCreateApi(APIView):
    throttle_scope = "bookings"
    required_roles = BOOKING_ROLES

    class BookingCreateInputSerializer(serializers.Serializer):
        restaurant = RestaurantSlugField()
        party_size = serializers.IntegerField(min_value=1, max_value=100)
        start_at = ApiDateTimeField(help_text="ISO 8601; without a UTC offset, the restaurant's local time.")
        duration_minutes = serializers.IntegerField(min_value=15, max_value=600, required=False)
        guest_name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        guest_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
        guest_phone = StrictCharField(
            max_length=40,
            required=False,
            allow_blank=True,
            default="",
            help_text="With its country code (+44 7700 900123) it is checked and kept in E.164; without, as digits.",
        )
        preferred_zone = StrictSlugField(max_length=64, required=False, allow_null=True, default=None)
        needs_accessible = StrictBooleanField(required=False, default=False)
        external_ref = StrictCharField(max_length=100, required=False, allow_null=True, default=None)
        notes = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")

        def validate_guest_phone(self, value: str) -> str:
            try:
                return phone_normalize(value)
            except PhoneInvalid as exc:
                raise serializers.ValidationError(f"{exc}.") from None

        def validate(self, attrs):
            attrs["start_at"] = localize(attrs["start_at"], attrs["restaurant"])
            return attrs

    @extend_schema(
        request=BookingCreateInputSerializer,
        responses={
            201: BookingAcceptedOutput,
            200: BookingOutput,
            **error_responses(400, 403, 409, 413, 415),
        },
        description="Create a booking; a retry with the same external_ref and the same request answers 200 with "
        "the original, a different request with a used external_ref answers 409 naming it.",
    )
    def post(self, request):
        data = self.BookingCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        self.check_object_permissions(request, v["restaurant"])
        answer = booking_request_create(
            restaurant=v["restaurant"],
            party_size=v["party_size"],
            start_at=v["start_at"],
            duration_minutes=v.get("duration_minutes"),
            guest_name=v["guest_name"],
            guest_email=v["guest_email"],
            guest_phone=v["guest_phone"],
            preferred_zone_key=v["preferred_zone"],
            needs_accessible=v["needs_accessible"],
            external_ref=v["external_ref"],
            notes=v["notes"],
            actor=_actor(request),
        )
        if not answer.created:  # idempotent create: the platform retried
            return _answer(answer.booking.pk, status.HTTP_200_OK)
        return _answer(answer.booking.pk, status.HTTP_201_CREATED, answer.correlation_id)


class BookingDetailApi(APIView):
    throttle_scope = "bookings"
    required_roles = BOOKING_ROLES  # for PATCH; any member reads

    class BookingModifySerializer(serializers.Serializer):
        party_size = serializers.IntegerField(min_value=1, max_value=100, required=False)
        start_at = ApiDateTimeField(required=False, help_text="ISO 8601; without a UTC offset, local time.")
        duration_minutes = serializers.IntegerField(min_value=15, max_value=600, required=False)
        version = serializers.IntegerField(
            min_value=1, max_value=VERSION_MAX, required=False, help_text="Optimistic concurrency check."
        )

        def validate(self, attrs):
            if not ({"party_size", "start_at", "duration_minutes"} & attrs.keys()):
                raise serializers.ValidationError(
                    {"non_field_errors": ["Give at least one of party_size, start_at, duration_minutes."]}
                )
            if "start_at" in attrs:
                attrs["start_at"] = localize(attrs["start_at"], self.context["booking"].restaurant)
            return attrs

    @extend_schema(responses={200: BookingOutput, **error_responses(404)})
    def get(self, request, pk: int):
        booking = _booking_of_caller(request, pk)
        return _answer(booking.pk, status.HTTP_200_OK)

    @extend_schema(
        request=BookingModifySerializer,
        responses={202: BookingAcceptedOutput, **error_responses(400, 403, 404, 409, 413, 415)},
    )
    def patch(self, request, pk: int):
        booking = _booking_of_caller(request, pk)
        self.check_object_permissions(request, booking)
        data = self.BookingModifySerializer(
            data=request.data, context={"request": request, "booking": booking}
        )
        data.is_valid(raise_exception=True)
        v = data.validated_data
        answer = booking_request_modify(
            booking=booking,
            party_size=v.get("party_size"),
            start_at=v.get("start_at"),
            duration_minutes=v.get("duration_minutes"),
            expected_version=v.get("version"),
            actor=_actor(request),
        )
        return _answer(answer.booking.pk, status.HTTP_202_ACCEPTED, answer.correlation_id)


class BookingCancelApi(APIView):
    throttle_scope = "bookings"
    required_roles = BOOKING_ROLES

    class BookingCancelInputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        version = serializers.IntegerField(min_value=1, max_value=VERSION_MAX, required=False)

    @extend_schema(
        request=BookingCancelInputSerializer,
        responses={200: BookingOutput, **error_responses(400, 403, 404, 409, 413, 415)},
        description="Idempotent: cancelling a cancelled booking answers 200. Without `version` the "
        "cancel wins against the assignment pipeline; with it, a stale version is a 409.",
    )
    def post(self, request, pk: int):
        booking = _booking_of_caller(request, pk)
        self.check_object_permissions(request, booking)
        data = self.BookingCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking_cancel_for_client(
            booking=booking,
            reason=data.validated_data["reason"],
            expected_version=data.validated_data.get("version"),
            actor=_actor(request),
        )
        return _answer(booking.pk, status.HTTP_200_OK)


class ProcessAssignmentApi(APIView):
    throttle_scope = "bookings"
    required_roles = BOOKING_ROLES

    class ProcessInputSerializer(serializers.Serializer):
        bookingId = serializers.IntegerField(min_value=1, max_value=2**63 - 1)  # noqa: N815 (the platforms' name)
        trigger = serializers.ChoiceField(choices=TRIGGERS)

    class ProcessAcceptedSerializer(serializers.Serializer):
        status = serializers.CharField()
        correlationId = serializers.CharField()  # noqa: N815

    @extend_schema(
        request=ProcessInputSerializer,
        responses={202: ProcessAcceptedSerializer, **error_responses(400, 403, 404, 409, 413, 415)},
        description="400: malformed input or a state that cannot be processed; 404: unknown booking or not one of "
        "your restaurants; 409: the booking is being processed right now.",
    )
    def post(self, request):
        data = self.ProcessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = _booking_of_caller(request, data.validated_data["bookingId"])
        self.check_object_permissions(request, booking)
        correlation_id = booking_request_processing(
            booking=booking, trigger=data.validated_data["trigger"], actor=_actor(request)
        )
        return Response(
            {"status": "accepted", "correlationId": correlation_id}, status=status.HTTP_202_ACCEPTED
        )
