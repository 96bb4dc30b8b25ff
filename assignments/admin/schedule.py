"""The restaurant page's schedule: its weekly services and dated exceptions, edited inline.

Each row is one service (name, first seating, end, last seating, turn times, pacing) or a closed marker. A
weekday without rows runs the restaurant's default service periods and turn times; rows for a date replace
that date's weekday (closed, or special hours). Pacing sends a booking to review, never refuses it; staff
assigning by hand may seat past it.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin

from assignments.models import ScheduleException, WeeklyService

_TIME = forms.TimeInput(
    format="%H:%M", attrs={"placeholder": "HH:MM", "style": "width:3.6em", "maxlength": 5}
)
_COUNT = forms.NumberInput(attrs={"style": "width:3.4em", "min": 1})


class TurnMinutesField(forms.JSONField):
    """Turn times typed as JSON on one line; shown compactly."""

    def prepare_value(self, value):
        if value in (None, {}, ""):
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(", ", ": "))


_HOURS = ("name", "closed", "start", "end", "last_seating", "turn_minutes")
_COLUMNS = (*_HOURS, "pacing_covers_per_slot", "pacing_bookings_per_slot", "pacing_covers_per_service")


class ServiceHoursForm(forms.ModelForm):
    turn_minutes = TurnMinutesField(
        required=False,
        label="Turn times",
        widget=forms.TextInput(attrs={"style": "width:9.5em", "placeholder": "the restaurant's"}),
        help_text='Party size → minutes, e.g. {"2": 75, "default": 120}; empty: the restaurant\'s.',
    )

    class Meta:
        fields: tuple[str, ...] = _COLUMNS
        widgets = {
            "start": _TIME,
            "end": _TIME,
            "last_seating": _TIME,
            "name": forms.TextInput(attrs={"style": "width:5em", "placeholder": "dinner"}),
            "pacing_covers_per_slot": _COUNT,
            "pacing_bookings_per_slot": _COUNT,
            "pacing_covers_per_service": _COUNT,
            "note": forms.TextInput(attrs={"style": "width:10em"}),
        }
        labels = {
            "last_seating": "Last seating",
            "pacing_covers_per_slot": "Covers per slot",
            "pacing_bookings_per_slot": "Bookings per slot",
            "pacing_covers_per_service": "Covers per service",
        }

    def clean_turn_minutes(self):
        return self.cleaned_data.get("turn_minutes") or {}


class WeeklyServiceForm(ServiceHoursForm):
    class Meta(ServiceHoursForm.Meta):
        model = WeeklyService
        fields = ("weekday", *_COLUMNS)


class ScheduleExceptionForm(ServiceHoursForm):
    class Meta(ServiceHoursForm.Meta):
        model = ScheduleException
        fields = ("date", "note", *_HOURS)


class WeeklyServiceInline(admin.TabularInline):
    model = WeeklyService
    form = WeeklyServiceForm
    fields = ("weekday", *_COLUMNS)
    extra = 0
    verbose_name = "weekly service"
    verbose_name_plural = "Weekly schedule (a weekday without rows runs the default service periods above)"


class ScheduleExceptionInline(admin.TabularInline):
    model = ScheduleException
    form = ScheduleExceptionForm
    fields = ("date", "note", *_HOURS)  # pacing on special hours: the restaurant's
    extra = 0
    verbose_name = "dated exception"
    verbose_name_plural = "Dated exceptions (a date's rows replace its weekday: closed, or special hours)"
