"""Input fields shared by the booking and availability APIs: strict date-times and restaurants by slug (scoped to
the caller's memberships, so another tenant's restaurant reads as unknown)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assignments.models import Restaurant

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
MAX_OFFSET = timedelta(hours=14)  # the widest real UTC offset (Kiribati); Postgres refuses beyond 15:59
MIN_YEAR, MAX_YEAR = 1970, 9000  # keeps every later arithmetic (+ turn time, time zones) in range
# A client's `version` (optimistic concurrency): the transition writes version + 1, which must fit Postgres' integer.
VERSION_MAX = 2**31 - 2


@extend_schema_field(OpenApiTypes.DATETIME)
class ApiDateTimeField(serializers.Field):
    """ISO 8601. Without a UTC offset it is the restaurant's local time (the serializer applies it, see
    `localize`). Impossible times (12:99), offsets beyond +-14:00 and years outside 1970-9000 are refused."""

    default_error_messages = {
        "invalid": "Give a date and time like 2026-12-05T19:00 or 2026-12-05T19:00+00:00.",
        "impossible": "That date or time does not exist.",
        "offset": "UTC offsets go from -14:00 to +14:00.",
        "range": "That date is out of range.",
    }

    def to_internal_value(self, data) -> datetime:
        if not isinstance(data, str) or len(data) > 40 or "\x00" in data:
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            self.fail("impossible")
        if value is None:
            self.fail("invalid")
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_OFFSET:
            self.fail("offset")
        if not (MIN_YEAR <= value.year <= MAX_YEAR):
            self.fail("range")
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def localize(value: datetime, restaurant: Restaurant, field: str = "start_at") -> datetime:
    """The one rule for naive date-times, for bookings and holds alike: the restaurant's local time, returned in
    UTC (so that adding a turn time is elapsed time, also on the night the clocks change). A local time the clocks
    skip that night does not exist and is refused; one they go through twice is the first of the two (send a UTC
    offset to mean the second)."""
    if value.tzinfo is not None:
        return value
    tz = restaurant.tzinfo
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        raise serializers.ValidationError(
            {
                field: [
                    f"{value:%Y-%m-%d %H:%M} does not exist in {restaurant.timezone}: the clocks go forward that "
                    "night. Send a time outside the skipped hour, or with its UTC offset."
                ]
            }
        )
    return aware.astimezone(UTC)


def restaurants_in_scope(context) -> QuerySet[Restaurant]:
    from tenancy.selectors import restaurants_for_user

    request = context.get("request") if context else None
    return restaurants_for_user(getattr(request, "user", None))


@extend_schema_field(OpenApiTypes.STR)
class RestaurantSlugField(serializers.Field):
    """A restaurant of the caller's, by its slug. Another tenant's restaurant is as unknown as a missing one."""

    default_error_messages = {
        "invalid": "Give the restaurant's slug (letters, digits, - and _).",
        "unknown": "Unknown restaurant {slug!r}.",
    }

    def to_internal_value(self, data) -> Restaurant:
        if not isinstance(data, str) or not SLUG_RE.match(data):
            self.fail("invalid")
        restaurant = restaurants_in_scope(self.context).filter(slug=data).first()
        if restaurant is None:
            self.fail("unknown", slug=data)
        return restaurant

    def to_representation(self, value) -> str:
        return value.slug


class StrictBooleanField(serializers.BooleanField):
    """A JSON body's true or false, nothing else: "yes", 1 or "true" are a 400 (the schema says boolean)."""

    def to_internal_value(self, data) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class _StrictText:
    """Only a JSON string: DRF would turn 0 into "0", which the schema (type string) does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StrictText, serializers.CharField):
    """No longer than max_length as sent: DRF measures after trimming, the schema's maxLength before."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return value


class StrictSlugField(_StrictText, serializers.SlugField):
    pass
