"""The floor: a restaurant, its zones, its tables and which tables stand next to each other."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from assignments.service_hours import ServicePeriod, periods_from, service_periods_error, turn_minutes_for

from .pacing import PacingLimits


def default_turn_minutes() -> dict[str, int]:
    return {"2": 90, "4": 105, "6": 120, "8": 135, "default": 150}


def default_service_periods() -> list[dict[str, str]]:
    return [{"name": "dinner", "start": "17:00", "end": "23:30"}]


# Restaurant.floor_version and schedule_version key caches shared by every process (the floor and the schedule rows
# in each process, availability's snapshots in Redis). A bump draws a value no change had before:
VERSION_LOW = 2**31  # above every value of the counters they were (PositiveIntegerField, bumped by one)
VERSION_HIGH = 2**63  # bigint


def version_fresh() -> int:
    """A new floor or schedule version: 63 bits (less the counters' range) from the OS's generator, never a
    count. A count is reached again by the change after one that rolled back (the rolled-back change may have
    cached its rows under it); a drawn value is not, whatever happened to the transaction that drew it, in this
    process or another, on Postgres or SQLite alike. Two draws for a restaurant agree with odds of about
    n^2 / 2^64 after n changes (a million changes: 1 in 18 million), and only matter while the older one's entries
    are still cached."""
    return VERSION_LOW + secrets.randbelow(VERSION_HIGH - VERSION_LOW)


VERSION_FIELDS = ("floor_version", "schedule_version")


class Restaurant(PacingLimits, models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/London")
    slot_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    buffer_minutes = models.PositiveSmallIntegerField(default=10)
    max_combination_tables = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    turn_minutes = models.JSONField(
        default=default_turn_minutes, help_text="Turn time by party size, plus 'default'."
    )
    service_periods = models.JSONField(default=default_service_periods)
    max_assignment_attempts = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    scoring_weights = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the engine's scoring weights."
    )
    floor_version = models.PositiveBigIntegerField(
        default=1,
        editable=False,
        help_text="A new value on every floor change, never one used before; keys the floor caches.",
    )
    # Bounded: a start is checked against now -/+ these, and a date past the calendar's end was a 500 on every
    # booking of the restaurant (services.booking_requests.booking_check_start).
    booking_past_grace_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 60)],
        help_text="API bookings may start this long in the past, at most a day (empty: the site default).",
    )
    booking_horizon_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(10 * 366)],
        help_text="API bookings may start at most this many days ahead, at most ten years (empty: the site default).",
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="A confirmed booking not seated this long after its start is marked no-show."
    )
    late_tolerance_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="A party seated later than this after its start is noted as late."
    )
    schedule_version = models.PositiveBigIntegerField(
        default=1,
        editable=False,
        help_text="A new value on every change of the weekly schedule or its exceptions, never one used before; "
        "keys the schedule caches.",
    )
    previous_timezone = models.CharField(
        max_length=64, blank=True, editable=False, help_text="The time zone before the last change of it."
    )
    timezone_changed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the time zone last changed."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """An update writes every field it loaded but the versions: only their services change them
        (services.floor, services.schedule), and an instance loaded before a change would otherwise put back the
        version the change replaced, under which other processes may still keep the floor or hours from before it.
        An insert (a new instance, one without its key, force_insert) writes them all. An update of a row deleted
        meanwhile raises DatabaseError rather than insert it again under its old key, created_at and versions,
        which the caches would answer with what they kept of it before the delete."""
        updating = not (self._state.adding or self.pk is None or kwargs.get("force_insert"))
        if updating and not args and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in VERSION_FIELDS and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def zone_moved(self, made_at: datetime | None) -> str:
        """For a booking made at `made_at`: how the last time zone change moved its local time, for a reason
        ("the restaurant's time zone changed from Europe/London to Europe/Istanbul"), or "" when it was made after
        the change (or the zone never changed)."""
        changed = self.timezone_changed_at
        if changed is None or made_at is None or made_at >= changed or not self.previous_timezone:
            return ""
        return f"the restaurant's time zone changed from {self.previous_timezone} to {self.timezone}"

    def occupied_window(self, start_at: datetime, end_at: datetime) -> tuple[datetime, datetime]:
        """What a booking from `start_at` to `end_at` occupies: its seating plus the restaurant's buffer."""
        return start_at, end_at + timedelta(minutes=self.buffer_minutes)

    def clean(self) -> None:
        from assignments.scoring_weights import validate_scoring_weights

        validate_scoring_weights(self.scoring_weights)
        try:
            ZoneInfo(self.timezone)
        except Exception as exc:
            raise ValidationError({"timezone": f"Unknown time zone {self.timezone!r}."}) from exc
        from assignments.models.schedule import turn_minutes_errors

        errors = {}
        if not isinstance(self.turn_minutes, dict) or "default" not in self.turn_minutes:
            errors["turn_minutes"] = "Needs a 'default' entry."
        elif problem := turn_minutes_errors(self.turn_minutes):
            errors["turn_minutes"] = problem
        if problem := service_periods_error(self.service_periods):
            errors["service_periods"] = problem
        if errors:
            raise ValidationError(errors)

    def turn_for(self, party_size: int, at: datetime | None = None) -> int:
        """Turn time for a party; with `at`, that day's schedule (its service's turn times), else the default."""
        if at is None:
            return turn_minutes_for(self.turn_minutes, party_size)
        from assignments.selectors.schedule import turn_minutes_at

        return turn_minutes_at(restaurant=self, party_size=party_size, start_at=at)

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0)).replace(tzinfo=self.tzinfo)

    @property
    def periods(self) -> tuple[ServicePeriod, ...]:
        """The default service periods (every weekday without a schedule of its own)."""
        return periods_from(self.service_periods or ())

    def service_day_of(self, moment: datetime) -> date:
        """The service day a moment belongs to: before the day's first opening, while the day before ran past
        midnight, it is still the day before (assignments.selectors.schedule)."""
        from assignments.selectors.schedule import restaurant_service_day

        return restaurant_service_day(restaurant=self, moment=moment)

    def is_open_at(self, moment: datetime) -> bool:
        """Whether a booking may start at this moment (inside a service of that day's schedule)."""
        return self.start_refusal(moment) is None

    def start_refusal(self, moment: datetime) -> str | None:
        """Why a booking may not start at this moment (closed day, outside service hours), or None."""
        from assignments.selectors.schedule import booking_start_refusal

        return booking_start_refusal(restaurant=self, start_at=moment)

    def minute_of_day(self, moment: datetime, day: date) -> int:
        """Minutes from the local midnight of `day` on the wall clock (the engine's clock, and the hours'): the
        inverse of local_midnight(day) + timedelta(minutes=m). On the night the clocks change, elapsed time would put
        a 21:30 dinner at 22:30 (clocks back) and a late service's 01:15 an hour off."""
        local = moment.astimezone(self.tzinfo)
        return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


class Zone(models.Model):
    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="zones")
    key = models.SlugField(max_length=64, help_text="Stable identifier, e.g. the scenario's zone id.")
    name = models.CharField(max_length=200)
    priority = models.IntegerField(default=1, help_text="Lower is offered first.")

    class Meta:
        ordering = ["restaurant", "priority", "key"]
        constraints = [models.UniqueConstraint(fields=["restaurant", "key"], name="zone_unique_key")]

    def __str__(self) -> str:
        return f"{self.name}"


class Table(models.Model):
    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="tables")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="tables")
    label = models.CharField(max_length=32)
    min_covers = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    max_covers = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    combinable = models.BooleanField(default=False)
    accessible = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    position_x = models.IntegerField(null=True, blank=True)
    position_y = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["restaurant", "label"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "label"], name="table_unique_label"),
            models.CheckConstraint(condition=Q(min_covers__gte=1), name="table_min_covers_positive"),
            models.CheckConstraint(condition=Q(max_covers__gte=F("min_covers")), name="table_max_ge_min"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.zone_id and self.restaurant_id and self.zone.restaurant_id != self.restaurant_id:
            raise ValidationError({"zone": "The zone belongs to another restaurant."})
        if self.max_covers is not None and self.min_covers is not None and self.max_covers < self.min_covers:
            raise ValidationError({"max_covers": "Must be at least min covers."})


class TableAdjacency(models.Model):
    """An undirected edge, stored once with table_a.pk < table_b.pk."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="adjacencies")
    table_a = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="+")
    table_b = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = "table adjacencies"
        constraints = [
            models.UniqueConstraint(fields=["table_a", "table_b"], name="adjacency_unique_pair"),
            models.CheckConstraint(condition=Q(table_a__lt=F("table_b")), name="adjacency_ordered_no_self"),
        ]

    def __str__(self) -> str:
        return f"{self.table_a} – {self.table_b}"

    def validate_constraints(self, exclude=None) -> None:
        if self.table_a_id and self.table_a_id == self.table_b_id:
            return  # clean() says why in words, not 'Constraint "adjacency_ordered_no_self" is violated.'
        super().validate_constraints(exclude=exclude)

    def clean(self) -> None:
        if not (self.table_a_id and self.table_b_id and self.restaurant_id):
            return  # a missing table or restaurant: the form names the field ("This field is required.")
        if self.table_a_id == self.table_b_id:
            raise ValidationError("A table cannot be adjacent to itself.")
        for t in (self.table_a, self.table_b):
            if t.restaurant_id != self.restaurant_id:
                raise ValidationError(f"Table {t} belongs to another restaurant.")
        if self.table_a_id and self.table_b_id and self.table_a_id > self.table_b_id:
            self.table_a, self.table_b = self.table_b, self.table_a
