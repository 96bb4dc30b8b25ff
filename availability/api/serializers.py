from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from assignments.api.fields import RestaurantSlugField
from assignments.conf import api_settings


class AvailabilityQuery(serializers.Serializer):
    restaurant = RestaurantSlugField()
    date = serializers.DateField(help_text="A service day from yesterday up to the booking horizon.")
    party_size = serializers.IntegerField(min_value=1, max_value=100)
    include_holds = serializers.BooleanField(default=True)
    accessible = serializers.BooleanField(default=False)

    def validate_date(self, value):
        today = timezone.now().date()
        horizon = api_settings.BOOKING_HORIZON_DAYS
        if not (today - timedelta(days=1) <= value <= today + timedelta(days=horizon)):
            raise serializers.ValidationError(f"Give a day from yesterday up to {horizon} days ahead.")
        return value


class StreamQuery(serializers.Serializer):
    restaurant = RestaurantSlugField()
    heartbeat = serializers.FloatField(min_value=0.1, max_value=60, default=15)
    # The field's bound is read once, when this module is imported (a settings change needs a restart).
    max_seconds = serializers.FloatField(
        min_value=0.5,
        max_value=api_settings.STREAM_MAX_SECONDS,
        default=60,
        help_text="The stream ends after this long; reconnect for more.",
    )
