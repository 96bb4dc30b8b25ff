"""The restaurant page's schedule: its weekly services and dated exceptions, edited inline.

Each row is one service (name, first seating, end, last seating, turn times, pacing) or a closed marker. A
weekday without rows runs the restaurant's default service periods and turn times; rows for a date replace
that date's weekday (closed, or special hours). Pacing sends a booking to review, never refuses it; staff
assigning by hand may seat past it. Closing a day, or changing its hours, when confirmed bookings fall outside
them cancels nobody: the save warns with how many and the list, and the review queue keeps listing them until
each is moved or cancelled.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assignments.models import ScheduleException, WeeklyService
from assignments.selectors.outside_service import (
    LOOK_AHEAD_DAYS,
    days_with_confirmed_bookings_outside_service,
)
from assignments.selectors.schedule import restaurant_service_day

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


SHOWN_PER_DAY = 8
HOURS_FIELDS = {"date", "weekday", "closed", "start", "end", "last_seating"}  # what moves a day's hours


def schedule_change_warn(model_admin, request, *, restaurant, form, formsets) -> None:
    """After a save that changes the schedule of some days (a dated exception or a weekly row added, changed or
    removed, or the default service periods): a warning for each such day that still has confirmed bookings
    outside its service now (the day closed, or outside its new hours), listing them, so that someone calls the
    guests."""
    dates: set[date] = set()
    weekdays: set[int] = set()
    every_day = "service_periods" in getattr(form, "changed_data", ())
    for formset in formsets:
        if formset.model not in (ScheduleException, WeeklyService):
            continue
        key = "date" if formset.model is ScheduleException else "weekday"
        for f in formset.forms:
            data = getattr(f, "cleaned_data", None) or {}
            if not (HOURS_FIELDS & set(f.changed_data) or data.get("DELETE")):
                continue
            # the day the row is on now, and the one it was on (a row moved to another day changes both)
            for value in (data.get(key), f.initial.get(key) if f.instance.pk else None):
                if value in (None, ""):
                    continue
                if key == "date":
                    dates.add(value)
                else:
                    weekdays.add(int(value))
    if not dates and not weekdays and not every_day:
        return
    restaurant.refresh_from_db(fields=["schedule_version"])  # the rows just saved bumped it
    if weekdays or every_day:
        today = restaurant_service_day(restaurant=restaurant, moment=timezone.now())
        ahead = (today + timedelta(days=n) for n in range(LOOK_AHEAD_DAYS))
        dates.update(d for d in ahead if every_day or d.weekday() in weekdays)
    for day in days_with_confirmed_bookings_outside_service(restaurants=[restaurant], dates=dates):
        _warn(model_admin, request, day)


def _warn(model_admin, request, day) -> None:
    tz = day.restaurant.tzinfo
    shown = day.bookings[:SHOWN_PER_DAY]
    listed = format_html_join(
        ", ",
        '<a href="{}">{}</a> {} {}p {}',
        (
            (
                reverse("admin:assignments_booking_change", args=[b.pk]),
                b.external_ref or f"#{b.pk}",
                b.guest_name,
                b.party_size,
                f"{b.start_at.astimezone(tz):%H:%M}",
            )
            for b in shown
        ),
    )
    more = f" and {len(day.bookings) - len(shown)} more" if len(day.bookings) > len(shown) else ""
    model_admin.message_user(
        request,
        format_html(
            "{}: {} confirmed booking(s), {} covers, {}: {}{}. Nothing was cancelled; call "
            'the guests to move or cancel them (<a href="{}">review queue</a>).',
            day.reason[0].upper() + day.reason[1:],
            len(day.bookings),
            day.covers,
            "are still on that day" if day.closed else f"start outside these hours on {day.day:%a %d %b}",
            listed,
            more,
            reverse("admin:assignments_reviewbooking_changelist")
            + f"?restaurant__id__exact={day.restaurant.pk}",
        ),
        messages.WARNING,
    )
