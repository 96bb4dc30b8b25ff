"""The booking state badge, the same in every list, detail page, form and the timeline's legend."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from assignments.models import BookingState

register = template.Library()

# (background, text) per state; the timeline's bars use the same backgrounds.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    BookingState.PENDING: ("#78909c", "#ffffff"),
    BookingState.ASSIGNMENT_PENDING: ("#f9a825", "#1b1b1b"),
    BookingState.CONFIRMED: ("#2e7d32", "#ffffff"),
    BookingState.MANUAL_REVIEW: ("#c62828", "#ffffff"),
    BookingState.CANCELLED: ("#9e9e9e", "#ffffff"),
    BookingState.SEATED: ("#1565c0", "#ffffff"),  # at the table now
    BookingState.COMPLETED: ("#cfd8dc", "#263238"),  # left: a pale bar, its freed time plainly empty after it
    BookingState.NO_SHOW: ("#6d4c41", "#ffffff"),  # never came: brown, unlike review's red
}
# What a bar adds to its label, so the state reads without the colour too.
STATE_MARKS: dict[str, str] = {
    BookingState.SEATED: "seated",
    BookingState.COMPLETED: "left",
    BookingState.NO_SHOW: "no-show",
}


def state_text_colour(state: str) -> str:
    return STATE_COLOURS.get(str(state), ("#546e7a", "#ffffff"))[1]
HOLD_COLOUR = "#5c6bc0"
BLOCK_COLOUR = "#455a64"


def state_colour(state: str) -> str:
    return STATE_COLOURS.get(str(state), ("#546e7a", "#ffffff"))[0]


def state_label(state: str) -> str:
    try:
        return BookingState(str(state)).label
    except ValueError:
        return str(state) or "—"


@register.simple_tag
def state_badge(state: str) -> str:
    bg, fg = STATE_COLOURS.get(str(state), ("#546e7a", "#ffffff"))
    return format_html(
        '<span class="maitre-badge maitre-state-{}" style="background:{};color:{};padding:2px 8px;'
        'border-radius:10px;font-size:11px;font-weight:600;white-space:nowrap;">{}</span>',
        state, bg, fg, state_label(state),
    )


@register.filter
def minutes_label(minutes: int) -> str:
    """Minutes from local midnight as HH:MM (past midnight wraps)."""
    minutes = int(minutes)
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


@register.filter
def local_time(value, restaurant, fmt: str = "%H:%M") -> str:
    """An aware datetime in the restaurant's time zone, as HH:MM (Django's `date` filter would show it in the
    site's zone, which is not where the guests sit). `{{ booking.start_at|local_time:booking.restaurant }}`."""
    if not value:
        return "—"
    return value.astimezone(restaurant.tzinfo).strftime(fmt)


@register.filter
def local_datetime(value, restaurant) -> str:
    """Day and time in the restaurant's time zone: `Fri 24 Jul 18:45`."""
    return local_time(value, restaurant, "%a %d %b %H:%M")


@register.filter
def booking_when(booking) -> str:
    """`Fri 24 Jul 18:45–20:15` in the restaurant's time zone."""
    tz = booking.restaurant.tzinfo
    return f"{booking.start_at.astimezone(tz):%a %d %b %H:%M}–{booking.end_at.astimezone(tz):%H:%M}"


@register.filter
def paired(objects, rows):
    """The changelist's objects beside their rendered rows (the queue's group headers need the object)."""
    return list(zip(objects, rows, strict=False))
