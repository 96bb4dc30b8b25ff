"""POST /api/walk-ins: a party at the door, seated now or told when a table frees up (assignments.services.walk_ins)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import StrictBooleanField, StrictCharField, StrictSlugField
from assignments.api.permissions import FLOOR_ROLES
from assignments.api.views import BookingOutput, _actor, _answer, _restaurant_of_caller
from assignments.selectors.bookings import zone_of
from assignments.services.pipeline import new_correlation_id
from assignments.services.walk_ins import walk_in_seat


class WalkInRefusedOutput(serializers.Serializer):
    error = serializers.CharField(help_text="`no_table_free`")
    detail = serializers.CharField()
    next_free_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When a plan for this party frees up today; null when none does before close.",
    )


class WalkInApi(APIView):
    throttle_scope = "bookings"
    required_roles = FLOOR_ROLES

    class WalkInInputSerializer(serializers.Serializer):
        restaurant = StrictSlugField(
            max_length=100, help_text="One of your restaurants (another's is a 404)."
        )
        party_size = serializers.IntegerField(min_value=1, max_value=100)
        guest_name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
        preferred_zone = StrictSlugField(max_length=64, required=False, allow_null=True, default=None)
        needs_accessible = StrictBooleanField(required=False, default=False)

    @extend_schema(
        request=WalkInInputSerializer,
        responses={
            201: BookingOutput,
            409: OpenApiResponse(
                WalkInRefusedOutput, description="No plan free now: when one frees up, if today"
            ),
            **{k: v for k, v in error_responses(400, 403, 404, 413, 415).items()},
        },
        description="A party of `party_size` at the door now. When a plan is free from now for the party's turn "
        "time, the booking is created, confirmed and seated at once (state `seated`, its tables "
        "listed): 201. Otherwise 409 with `next_free_at`, and nothing is written.",
    )
    def post(self, request):
        data = self.WalkInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        restaurant = _restaurant_of_caller(request, v["restaurant"])
        self.check_object_permissions(request, restaurant)
        zone = None
        if v["preferred_zone"]:
            zone = zone_of(restaurant=restaurant, key=v["preferred_zone"])
            if zone is None:
                raise serializers.ValidationError({"preferred_zone": ["Unknown zone."]})
        correlation_id = new_correlation_id()
        walk_in = walk_in_seat(  # WalkInRefused: a 409 with next_free_at (assignments.api.errors)
            restaurant=restaurant,
            party_size=v["party_size"],
            guest_name=v["guest_name"],
            preferred_zone=zone,
            needs_accessible=v["needs_accessible"],
            actor=_actor(request),
            correlation_id=correlation_id,
        )
        return _answer(walk_in.booking.pk, status.HTTP_201_CREATED, correlation_id)
