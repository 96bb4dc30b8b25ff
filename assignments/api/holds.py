"""The holds API: a client holds tables for a short while (a guest choosing at the phone or the web form) and
releases them. Holds are the assignments app's from end to end (model, service, API, sweep): their
allocations share the table-time ledger and its exclusion constraint with bookings, and the seating service
turns a booking's hold into its tables; availability only reads them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import ApiDateTimeField, RestaurantSlugField, StrictCharField, localize
from assignments.api.permissions import BOOKING_ROLES
from assignments.models import Booking, Restaurant
from assignments.selectors.holds import hold_of_client
from assignments.services.holds import (
    HOLD_MAX_DURATION_MINUTES,
    HOLD_TTL_MAX_SECONDS,
    HOLD_TTL_MIN_SECONDS,
    hold_create,
    hold_release,
    hold_tables,
)
from tenancy.selectors import restaurant_ids_for_user


class HoldInput(serializers.Serializer):
    restaurant = RestaurantSlugField()
    start_at = ApiDateTimeField(help_text="ISO 8601; without a UTC offset, the restaurant's local time.")
    party_size = serializers.IntegerField(min_value=1, max_value=100, required=False)
    tables = serializers.ListField(
        child=StrictCharField(max_length=32), required=False, allow_empty=False, max_length=20
    )
    ttl_seconds = serializers.IntegerField(
        min_value=HOLD_TTL_MIN_SECONDS, max_value=HOLD_TTL_MAX_SECONDS, default=120
    )
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=HOLD_MAX_DURATION_MINUTES, required=False
    )
    booking = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

    def validate(self, attrs):
        restaurant: Restaurant = attrs["restaurant"]
        if "party_size" not in attrs and "tables" not in attrs and "booking" not in attrs:
            raise serializers.ValidationError({"party_size": "Give a party size or the tables to hold."})
        attrs["start_at"] = localize(attrs["start_at"], restaurant)
        if "booking" in attrs:
            booking = (
                Booking.objects.select_related("preferred_zone")
                .filter(pk=attrs["booking"], restaurant=restaurant)
                .first()
            )
            if booking is None:
                raise serializers.ValidationError({"booking": "No such booking at this restaurant."})
            attrs["booking"] = booking
        return attrs


class HoldOutput(serializers.Serializer):
    id = serializers.IntegerField()
    restaurant = serializers.CharField(source="restaurant.slug")
    booking = serializers.IntegerField(source="booking_id", allow_null=True)
    party_size = serializers.IntegerField(allow_null=True)
    tables = serializers.ListField(child=serializers.CharField())
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class HoldCreateApi(APIView):
    throttle_scope = "holds"
    required_roles = BOOKING_ROLES

    @extend_schema(
        request=HoldInput,
        responses={201: HoldOutput, **error_responses(400, 403, 409, 413, 415)},
        description="409: the tables are taken, or you have as many live holds as a client may.",
    )
    def post(self, request):
        data = HoldInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        self.check_object_permissions(request, v["restaurant"])
        hold = hold_create(
            restaurant=v["restaurant"],
            start_at=v["start_at"],
            party_size=v.get("party_size"),
            table_labels=v.get("tables"),
            ttl_seconds=v["ttl_seconds"],
            duration_minutes=v.get("duration_minutes"),
            booking=v.get("booking"),
            created_by=request.user,
        )
        hold.tables = hold_tables(hold=hold)
        return Response(HoldOutput(hold).data, status=status.HTTP_201_CREATED)


class HoldDetailApi(APIView):
    throttle_scope = "holds"
    required_roles = BOOKING_ROLES

    @extend_schema(responses={204: OpenApiResponse(description="Released"), **error_responses(403, 404)})
    def delete(self, request, hold_id: int):
        hold = hold_of_client(
            pk=hold_id, restaurant_ids=restaurant_ids_for_user(request.user), user=request.user
        )
        self.check_object_permissions(request, hold)
        hold_release(hold=hold)
        return Response(status=status.HTTP_204_NO_CONTENT)
