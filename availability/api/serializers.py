from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from assignments.api.fields import ApiDateTimeField, RestaurantSlugField, StrictCharField, localize
from assignments.models import Booking, Restaurant
from assignments.services.holds import HOLD_MAX_DURATION_MINUTES, HOLD_TTL_MAX_SECONDS, HOLD_TTL_MIN_SECONDS


class HoldInput(serializers.Serializer):
    restaurant = RestaurantSlugField()
    start_at = ApiDateTimeField(help_text="ISO 8601; without a UTC offset, the restaurant's local time.")
    party_size = serializers.IntegerField(min_value=1, max_value=100, required=False)
    tables = serializers.ListField(child=StrictCharField(max_length=32), required=False, allow_empty=False, max_length=20)
    ttl_seconds = serializers.IntegerField(min_value=HOLD_TTL_MIN_SECONDS, max_value=HOLD_TTL_MAX_SECONDS, default=120)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=HOLD_MAX_DURATION_MINUTES, required=False)
    booking = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

    def validate(self, attrs):
        restaurant: Restaurant = attrs["restaurant"]
        if "party_size" not in attrs and "tables" not in attrs and "booking" not in attrs:
            raise serializers.ValidationError({"party_size": "Give a party size or the tables to hold."})
        attrs["start_at"] = localize(attrs["start_at"], restaurant)
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
    date = serializers.DateField(help_text="A service day from yesterday up to the booking horizon.")
    party_size = serializers.IntegerField(min_value=1, max_value=100)
    include_holds = serializers.BooleanField(default=True)
    accessible = serializers.BooleanField(default=False)

    def validate_date(self, value):
        today = timezone.now().date()
        horizon = settings.MAITRE_API["BOOKING_HORIZON_DAYS"]
        if not (today - timedelta(days=1) <= value <= today + timedelta(days=horizon)):
            raise serializers.ValidationError(f"Give a day from yesterday up to {horizon} days ahead.")
        return value


class StreamQuery(serializers.Serializer):
    restaurant = RestaurantSlugField()
    heartbeat = serializers.FloatField(min_value=0.1, max_value=60, default=15)
    max_seconds = serializers.FloatField(
        min_value=0.5, max_value=settings.MAITRE_API["STREAM_MAX_SECONDS"], default=60,
        help_text="The stream ends after this long; reconnect for more.",
    )
