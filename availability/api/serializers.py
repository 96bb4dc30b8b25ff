from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assignments.models import Booking, Restaurant
from assignments.services.holds import HOLD_MAX_DURATION_MINUTES, HOLD_TTL_MAX_SECONDS, HOLD_TTL_MIN_SECONDS


@extend_schema_field(OpenApiTypes.STR)
class RestaurantSlugField(serializers.Field):
    """A restaurant by its slug."""

    def to_internal_value(self, data) -> Restaurant:
        slug = data if isinstance(data, str) else ""
        if not slug or len(slug) > 100:
            raise serializers.ValidationError("Give the restaurant's slug.")
        restaurant = Restaurant.objects.filter(slug=slug).first()
        if restaurant is None:
            raise serializers.ValidationError(f"Unknown restaurant {slug!r}.")
        return restaurant

    def to_representation(self, value) -> str:
        return value.slug


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalDateTimeField(serializers.Field):
    """ISO 8601; without an offset it is read in the restaurant's time zone (see HoldInput.validate)."""

    def to_internal_value(self, data) -> datetime:
        value = parse_datetime(str(data)) if isinstance(data, str) else None
        if value is None:
            raise serializers.ValidationError("Give a date and time like 2026-12-05T19:00 or 2026-12-05T19:00+00:00.")
        return value


class HoldInput(serializers.Serializer):
    restaurant = RestaurantSlugField()
    start_at = LocalDateTimeField()
    party_size = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    tables = serializers.ListField(child=serializers.CharField(max_length=32), required=False, allow_empty=False, max_length=20)
    ttl_seconds = serializers.IntegerField(min_value=HOLD_TTL_MIN_SECONDS, max_value=HOLD_TTL_MAX_SECONDS, default=120)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=HOLD_MAX_DURATION_MINUTES, required=False)
    booking = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs):
        restaurant: Restaurant = attrs["restaurant"]
        if "party_size" not in attrs and "tables" not in attrs and "booking" not in attrs:
            raise serializers.ValidationError({"party_size": "Give a party size or the tables to hold."})
        if attrs["start_at"].tzinfo is None:
            attrs["start_at"] = attrs["start_at"].replace(tzinfo=restaurant.tzinfo)
        if "booking" in attrs:
            booking = Booking.objects.select_related("preferred_zone").filter(pk=attrs["booking"], restaurant=restaurant).first()
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


class AvailabilityQuery(serializers.Serializer):
    restaurant = RestaurantSlugField()
    date = serializers.DateField()
    party_size = serializers.IntegerField(min_value=1, max_value=1000)
    include_holds = serializers.BooleanField(default=True)
    accessible = serializers.BooleanField(default=False)


class StreamQuery(serializers.Serializer):
    restaurant = RestaurantSlugField()
    heartbeat = serializers.FloatField(min_value=0.1, max_value=60, default=15)
    max_seconds = serializers.FloatField(min_value=0.5, max_value=3600, default=300)
