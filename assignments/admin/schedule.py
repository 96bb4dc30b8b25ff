"""The restaurant page's schedule: its weekly services and dated exceptions, edited inline.

Each row is one service (name, first seating, end, last seating, turn times, pacing) or a closed marker. A
weekday without rows runs the restaurant's default service periods and turn times; rows for a date replace
that date's weekday (closed, or special hours). Pacing sends a booking to review, never refuses it; staff
assigning by hand may seat past it. Closing a day, or changing its hours, when confirmed bookings fall outside
them cancels nobody: the save warns with how many and the list, and the review queue keeps listing them until
each is moved or cancelled. A new time zone moves every booking's local time (they are kept in UTC): saving it
warns the same way for every day ahead, after a warning that says how far times moved and lists the bookings
still waiting for a table that are now outside the hours (the pipeline sends them to review).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from assignments.models import BookingState, ScheduleException, WeeklyService
from assignments.selectors.outside_service import (
    booking_first_starts_ahead,
    days_with_confirmed_bookings_outside_service,
    look_ahead_days,
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
PIPELINE_WAITING = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING)  # not decided by the pipeline yet
HOURS_FIELDS = {"date", "weekday", "closed", "start", "end", "last_seating"}  # what moves a day's hours


def schedule_changed_dates(*, restaurant, form, formsets, previous_zone: str | None = None) -> set[date]:
    """The service days a save of the restaurant page changed the schedule of (a dated exception or a weekly row
    added, changed or removed; every day ahead for the default service periods or a new time zone, given as the
    `previous_zone` it replaced, which moves every booking's local time); none when it changed no hours."""
    dates: set[date] = set()
    weekdays: set[int] = set()
    changed = getattr(form, "changed_data", ())
    every_day = "service_periods" in changed or previous_zone is not None
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
        return dates
    restaurant.refresh_from_db(fields=["schedule_version", "timezone"])  # the rows just saved bumped it
    if weekdays or every_day:
        today = restaurant_service_day(restaurant=restaurant, moment=timezone.now())
        ahead = (today + timedelta(days=n) for n in range(look_ahead_days()))
        dates.update(d for d in ahead if every_day or d.weekday() in weekdays)
    return dates


def schedule_change_warn(
    model_admin, request, *, restaurant, dates: set[date], previous_zone: str | None = None
) -> None:
    """After a save that changed the schedule of these days (schedule_changed_dates): a warning for each that
    still has confirmed bookings outside its service now (the day closed, or outside its new hours), listing
    them, so that someone calls the guests; after a time zone change, first how far times moved and the bookings
    still waiting for a table that are now outside the hours (the pipeline sends them to review)."""
    if not dates:
        return
    outside = days_with_confirmed_bookings_outside_service(restaurants=[restaurant], dates=dates)
    if previous_zone is not None:
        waiting = days_with_confirmed_bookings_outside_service(
            restaurants=[restaurant], dates=dates, states=PIPELINE_WAITING
        )
        _warn_zone(model_admin, request, restaurant, previous_zone, outside, waiting)
    for day in outside:
        _warn(model_admin, request, day)


def _zone_shift(previous: str, restaurant, moments: list[datetime], now: datetime) -> str:
    """How far the local times at `moments` (the first start of each booked day ahead; none: today's, at `now`)
    moved, in a host's words: "3 h later (20:00 is now 23:00)". Zones that change their clocks on other dates (or
    where one never does) move bookings by different amounts on different days: then the shift of most booked
    days (a tie: the soonest), and each other shift with its runs of days ("but 4 h earlier (20:00 is now 16:00)
    on Sat 13 Mar to Sat 27 Mar")."""
    old_zone, local = ZoneInfo(previous), restaurant.tzinfo
    runs: list[
        tuple[int, datetime, datetime]
    ] = []  # (shift in minutes, first moment, last moment), in time order
    days: Counter[int] = Counter()  # booked days per shift, counted in order of each shift's first day
    for moment in sorted(moments) or [now]:
        delta = (moment.astimezone(local).utcoffset() or timedelta()) - (
            moment.astimezone(old_zone).utcoffset() or timedelta()
        )  # aware moments in real zones: never None
        minutes = int(delta.total_seconds() // 60)
        days[minutes] += 1
        if runs and runs[-1][0] == minutes:
            runs[-1] = (minutes, runs[-1][1], moment)
        else:
            runs.append((minutes, moment, moment))
    (main, _), *_ = days.most_common()  # equal counts keep the order first met: the soonest wins a tie

    def words(minutes: int) -> str:
        if minutes == 0:
            return "not at all"
        hours, rest = divmod(abs(minutes), 60)
        size = " ".join(
            part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part
        )
        example = (datetime(2000, 1, 1, 20) + timedelta(minutes=minutes)).strftime("%H:%M")
        return f"{size} {'later' if minutes > 0 else 'earlier'} (20:00 is now {example})"

    if len(days) == 1:
        if not moments:
            return words(main) + (" today (the same offset from UTC now)" if main == 0 else " today")
        return words(main) + (" (the same offset from UTC on every booked day)" if main == 0 else "")
    shown = (
        "%a %d %b %Y"
        if runs[0][1].astimezone(local).year != runs[-1][2].astimezone(local).year
        else "%a %d %b"
    )

    def span(first: datetime, last: datetime) -> str:
        a, b = first.astimezone(local).strftime(shown), last.astimezone(local).strftime(shown)
        return a if a == b else f"{a} to {b}"

    others = "; ".join(
        f"{words(minutes)} on {', '.join(span(first, last) for shift, first, last in runs if shift == minutes)}"
        for minutes in days
        if minutes != main
    )
    return (
        f"{words(main)}, but {others} (the two zones keep summer time on different dates, or one never does)"
    )


def _warn_zone(model_admin, request, restaurant, previous: str, outside, waiting) -> None:
    """What a time zone change moved, and how many bookings from today on it put outside their day's hours."""
    now = timezone.now()
    moved = format_html(
        "The time zone changed from {} to {}: bookings keep their moment, so every booking's local time moved {}.",
        previous,
        restaurant.timezone,
        _zone_shift(previous, restaurant, booking_first_starts_ahead(restaurant=restaurant, now=now), now),
    )
    confirmed = sum(len(d.bookings) for d in outside)
    held = [b for d in waiting for b in d.bookings]
    if not confirmed and not held:
        model_admin.message_user(
            request, format_html("{} Every booking from today on still starts inside its day's hours.", moved)
        )
        return
    listed = _booking_links(held[:SHOWN_PER_DAY], restaurant.tzinfo, when="%a %d %b %H:%M")
    more = f" and {len(held) - SHOWN_PER_DAY} more" if len(held) > SHOWN_PER_DAY else ""
    model_admin.message_user(
        request,
        format_html(
            "{} From today on, {} confirmed booking(s) now start outside their day's hours (by day below) and {}"
            " still waiting for a table{}{}{}: the pipeline sends the waiting ones to review now, naming the"
            " zone change. Nothing was cancelled or moved.",
            moved,
            confirmed,
            len(held),
            ": " if held else "",
            listed,
            more,
        ),
        messages.WARNING,
    )


def _warn(model_admin, request, day) -> None:
    shown = day.bookings[:SHOWN_PER_DAY]
    listed = _booking_links(shown, day.restaurant.tzinfo, when="%H:%M")
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


def _booking_links(bookings, tz, *, when: str):
    """Bookings as the warnings list them: a link to each (its reference), the guest, the party and its local
    start formatted by `when`."""
    return format_html_join(
        ", ",
        '<a href="{}">{}</a> {} {}p {}',
        (
            (
                reverse("admin:assignments_booking_change", args=[b.pk]),
                b.external_ref or f"#{b.pk}",
                b.guest_name,
                b.party_size,
                f"{b.start_at.astimezone(tz):{when}}",
            )
            for b in bookings
        ),
    )
