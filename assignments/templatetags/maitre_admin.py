"""The booking state badge, the same in every list, detail page, form and the timeline's legend."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from assignments.models import BookingState
from assignments.presentation.timeline import state_colours

register = template.Library()


def state_label(state: str) -> str:
    try:
        return BookingState(str(state)).label
    except ValueError:
        return str(state) or "—"


@register.simple_tag
def state_badge(state: str) -> str:
    bg, fg = state_colours(state)
    return format_html(
        '<span class="maitre-badge maitre-state-{}" style="background:{};color:{};padding:2px 8px;'
        'border-radius:10px;font-size:11px;font-weight:600;white-space:nowrap;">{}</span>',
        state,
        bg,
        fg,
        state_label(state),
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


@register.inclusion_tag("admin/assignments/tonight.html", takes_context=True)
def tonight(context):
    """The console's home page, first thing: each restaurant's service today, its timeline and its queue."""
    from assignments.admin.common import console_now, restaurants_visible_to
    from assignments.selectors.review import tonight_overview

    request = context["request"]
    return {"lines": tonight_overview(restaurants=restaurants_visible_to(request.user), now=console_now())}
