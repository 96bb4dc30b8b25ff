"""The booking platforms' API: create, read, modify and cancel bookings, and (re)process an assignment.

Views validate input, call one service and shape the answer; errors are JSON (assignments.api.errors).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments import lifecycle
from assignments.lifecycle import Actor
from assignments.models import Booking, BookingState, Restaurant, Zone
from assignments.services.bookings import booking_create, booking_modify
from assignments.services.pipeline import (
    TRIGGERS,
    booking_being_processed,
    booking_submit_for_assignment,
    new_correlation_id,
)


def _actor(request) -> Actor:
    return Actor(label=f"api:{request.user.get_username()}", user=request.user)


def _error(code: str, detail: str, http: int, **extra) -> Response:
    return Response({"error": code, "detail": detail, **extra}, status=http)


class BookingOutput(serializers.ModelSerializer):
    restaurant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status = serializers.CharField(source="legacy_status", read_only=True, help_text="Legacy status.")
    preferred_zone = serializers.SlugRelatedField(slug_field="key", read_only=True)
    tables = serializers.SerializerMethodField()
    attempts = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id", "restaurant", "external_ref", "status", "state", "version", "party_size", "start_at", "end_at",
            "guest_name", "preferred_zone", "needs_accessible", "assignment_attempts", "assigned_at",
            "assignment_strategy", "tables", "attempts", "created_at", "updated_at",
        ]

    def get_tables(self, obj) -> list[str]:
        return sorted(a.table.label for a in obj.allocations.all())

    def get_attempts(self, obj) -> list[dict]:
        return [
            {"attempt_no": a.attempt_no, "strategy": a.strategy, "result": a.result, "reason": a.reason,
             "created_at": a.created_at}
            for a in obj.attempts.all()
        ]


def _booking_for_output(pk: int) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("restaurant", "preferred_zone").prefetch_related("allocations__table", "attempts"),
        pk=pk,
    )


class BookingCreateApi(APIView):
    class BookingCreateInputSerializer(serializers.Serializer):
        restaurant = serializers.SlugField()
        party_size = serializers.IntegerField(min_value=1, max_value=100)
        start_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset.")
        duration_minutes = serializers.IntegerField(min_value=15, max_value=600, required=False)
        guest_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        guest_email = serializers.EmailField(required=False, allow_blank=True, default="")
        preferred_zone = serializers.SlugField(required=False, allow_null=True, default=None)
        needs_accessible = serializers.BooleanField(required=False, default=False)
        external_ref = serializers.CharField(max_length=100, required=False, allow_null=True, default=None)
        notes = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=BookingCreateInputSerializer, responses={201: BookingOutput, 200: BookingOutput})
    def post(self, request):
        data = self.BookingCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        restaurant = Restaurant.objects.filter(slug=v["restaurant"]).first()
        if restaurant is None:
            return _error("invalid", "The request is not valid.", 400, fields={"restaurant": ["Unknown restaurant."]})
        zone = None
        if v["preferred_zone"]:
            zone = Zone.objects.filter(restaurant=restaurant, key=v["preferred_zone"]).first()
            if zone is None:
                return _error("invalid", "The request is not valid.", 400, fields={"preferred_zone": ["Unknown zone."]})
        if not restaurant.is_open_at(v["start_at"]):
            return _error("invalid", "The request is not valid.", 400,
                          fields={"start_at": ["Outside the restaurant's service periods."]})
        if v["external_ref"]:
            existing = Booking.objects.filter(restaurant=restaurant, external_ref=v["external_ref"]).first()
            if existing is not None:  # idempotent create: the platform retried
                return Response(BookingOutput(_booking_for_output(existing.pk)).data, status=200)
        correlation_id = new_correlation_id()
        try:
            with transaction.atomic():
                booking = booking_create(
                    restaurant=restaurant, party_size=v["party_size"], start_at=v["start_at"],
                    duration_minutes=v.get("duration_minutes"), guest_name=v["guest_name"],
                    preferred_zone=zone, needs_accessible=v["needs_accessible"], external_ref=v["external_ref"],
                    notes=v["notes"], actor=_actor(request), correlation_id=correlation_id,
                )
                if v["guest_email"]:
                    Booking.objects.filter(pk=booking.pk).update(guest_email=v["guest_email"])
                booking_submit_for_assignment(booking=booking, trigger="creation", actor=_actor(request),
                                              correlation_id=correlation_id)
        except DjangoValidationError as exc:
            return _error("invalid", "The request is not valid.", 400, fields=exc.message_dict)
        except IntegrityError:
            existing = Booking.objects.get(restaurant=restaurant, external_ref=v["external_ref"])
            return Response(BookingOutput(_booking_for_output(existing.pk)).data, status=200)
        body = BookingOutput(_booking_for_output(booking.pk)).data
        body["correlation_id"] = correlation_id
        return Response(body, status=status.HTTP_201_CREATED)


class BookingDetailApi(APIView):
    class BookingModifySerializer(serializers.Serializer):
        party_size = serializers.IntegerField(min_value=1, max_value=100, required=False)
        start_at = serializers.DateTimeField(required=False)
        duration_minutes = serializers.IntegerField(min_value=15, max_value=600, required=False)
        version = serializers.IntegerField(min_value=1, required=False, help_text="Optimistic concurrency check.")

    @extend_schema(responses={200: BookingOutput, 404: OpenApiResponse(description="Unknown booking")})
    def get(self, request, pk: int):
        return Response(BookingOutput(_booking_for_output(pk)).data)

    @extend_schema(request=BookingModifySerializer, responses={202: BookingOutput})
    def patch(self, request, pk: int):
        booking = get_object_or_404(Booking, pk=pk)
        data = self.BookingModifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if booking.state == BookingState.CANCELLED:
            return _error("invalid_state", "A cancelled booking cannot be modified.", 400, state=booking.state)
        if "start_at" in v and not booking.restaurant.is_open_at(v["start_at"]):
            return _error("invalid", "The request is not valid.", 400,
                          fields={"start_at": ["Outside the restaurant's service periods."]})
        correlation_id = new_correlation_id()
        try:
            with transaction.atomic():
                booking = booking_modify(
                    booking=booking, party_size=v.get("party_size"), start_at=v.get("start_at"),
                    duration_minutes=v.get("duration_minutes"), expected_version=v.get("version"),
                    actor=_actor(request), correlation_id=correlation_id,
                )
                if booking.state == BookingState.ASSIGNMENT_PENDING:
                    booking_submit_for_assignment(booking=booking, trigger="modification", actor=_actor(request),
                                                  correlation_id=correlation_id)
        except lifecycle.VersionConflict as exc:
            return _error("version_conflict", str(exc), 409)
        except DjangoValidationError as exc:
            return _error("invalid", "The request is not valid.", 400, fields=exc.message_dict)
        body = BookingOutput(_booking_for_output(booking.pk)).data
        body["correlation_id"] = correlation_id
        return Response(body, status=status.HTTP_202_ACCEPTED)


class BookingCancelApi(APIView):
    class BookingCancelInputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="")
        version = serializers.IntegerField(min_value=1, required=False)

    @extend_schema(request=BookingCancelInputSerializer, responses={200: BookingOutput})
    def post(self, request, pk: int):
        booking = get_object_or_404(Booking, pk=pk)
        data = self.BookingCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            lifecycle.booking_cancel(booking=booking, reason=data.validated_data["reason"],
                                     expected_version=data.validated_data.get("version"), actor=_actor(request))
        except lifecycle.InvalidTransition as exc:
            return _error("invalid_state", str(exc), 400, state=booking.state)
        except lifecycle.VersionConflict as exc:
            return _error("version_conflict", str(exc), 409)
        return Response(BookingOutput(_booking_for_output(booking.pk)).data)


class ProcessAssignmentApi(APIView):
    class ProcessInputSerializer(serializers.Serializer):
        bookingId = serializers.IntegerField(min_value=1)  # noqa: N815 (the platforms' field name)
        trigger = serializers.ChoiceField(choices=TRIGGERS)

    class ProcessAcceptedSerializer(serializers.Serializer):
        status = serializers.CharField()
        correlationId = serializers.CharField()  # noqa: N815

    @extend_schema(
        request=ProcessInputSerializer,
        responses={
            202: ProcessAcceptedSerializer,
            400: OpenApiResponse(description="Malformed input or a state that cannot be processed"),
            404: OpenApiResponse(description="Unknown booking"),
            409: OpenApiResponse(description="The booking is being processed right now"),
        },
    )
    def post(self, request):
        data = self.ProcessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = get_object_or_404(Booking, pk=data.validated_data["bookingId"])
        trigger = data.validated_data["trigger"]
        if booking_being_processed(booking_id=booking.pk):
            return _error("locked", "The booking is being processed right now; try again shortly.", 409)
        if booking.state == BookingState.CANCELLED:
            return _error("invalid_state", "A cancelled booking cannot be assigned.", 400, state=booking.state)
        if booking.state == BookingState.CONFIRMED and trigger != "modification":
            return _error("invalid_state", "The booking is already confirmed; only a modification re-plans it.", 400,
                          state=booking.state)
        try:
            correlation_id = booking_submit_for_assignment(booking=booking, trigger=trigger, actor=_actor(request))
        except lifecycle.InvalidTransition as exc:
            return _error("invalid_state", str(exc), 400, state=booking.state)
        except lifecycle.VersionConflict as exc:
            return _error("version_conflict", str(exc), 409)
        return Response({"status": "accepted", "correlationId": correlation_id}, status=status.HTTP_202_ACCEPTED)
