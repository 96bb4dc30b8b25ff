"""What every page of the console shares: who may assign, which restaurants a user sees, the console's clock,
refusals as messages, and the read-only bases for audit rows."""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from assignments.models import Booking, BookingState, Restaurant
from assignments.selectors.review import Clash
from tenancy.selectors import restaurants_for_user

ASSIGN_PERMISSION = "assignments.assign_booking"
OVERRIDE_PERMISSION = "assignments.override_seating"
# Set to "1" by the console's pages on a touch screen (no hover, a finger for a pointer: the host stand's tablet),
# cleared on a mouse; the timeline then draws rows a finger can hit (admin/assignments/touch.html sets it).
TOUCH_COOKIE = "maitre_touch"
WAITING_STATES = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW)


def id_from(value) -> int | None:
    """An id or a version typed in a URL or a form field, or None when it is not a whole number written in
    ASCII digits ("abc", "1.5", "", and "²", which str.isdigit() takes but int() refuses): the caller answers
    404 or a message, never a 500."""
    text = value if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() else None


def minutes_text(minutes: int) -> str:
    """A span as a host reads it: "25 min", "1 h 05", "2 h"."""
    m = max(0, minutes)
    if m < 60:
        return f"{m} min"
    return f"{m // 60} h {m % 60:02d}" if m % 60 else f"{m // 60} h"


def can_assign(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(ASSIGN_PERMISSION)


# -- the console's scope and clock --------------------------------------------------------------------
def restaurants_visible_to(user) -> QuerySet[Restaurant]:
    """The restaurants whose bookings this user sees and works in the console: the one place the console asks
    (tenancy's rule: the user's memberships; every restaurant for a superuser)."""
    if not (user.is_active and user.is_staff):
        return Restaurant.objects.none()
    return restaurants_for_user(user)


def console_now() -> datetime:
    """What "now" is for the console (tonight's services, the now line, the nearest times)."""
    return timezone.now()


def clash_html(clashes: list[Clash]):
    """Clashes as text with each booking's reference linked to its page."""
    parts = []
    for c in clashes:
        if c.kind == "booking":
            url = reverse("admin:assignments_booking_change", args=[c.pk])
            parts.append(format_html('{} is taken by <a href="{}">{}</a>', c.table, url, c.label))
        else:
            parts.append(format_html("{}", c.text))
    return mark_safe("; ".join(str(p) for p in parts))


def refusal_html(exc: Exception):
    """A refusal for a message: the clashes linked when the service named them, else its text."""
    clashes = getattr(exc, "clashes", None)
    if clashes:
        head = str(exc).split(":", 1)[0]
        return format_html("{}: {}.", head, clash_html(clashes))
    return str(exc)


def local_time(booking: Booking) -> str:
    tz = booking.restaurant.tzinfo
    return f"{booking.start_at.astimezone(tz):%a %d %b %H:%M}–{booking.end_at.astimezone(tz):%H:%M}"


class DateBoundsChangeList(ChangeList):
    """A list whose date drill-down at the end of the calendar (?start_at__year=9999&start_at__month=12, or
    __day=31) is the admin's "invalid lookup" answer (the list unfiltered, ?e=1), not a 500: Django computes the
    next year, month or day for the bound and overflows past 9999-12-31."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class NoWritesMixin:
    """Visible, never added, edited or deleted from the admin (audit rows)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, admin.ModelAdmin):
    """Audit rows: visible, never added, edited or deleted from the admin."""


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    """Shown to whoever may see the booking; never editable."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("assignments.view_booking") or request.user.has_perm(
            "assignments.view_reviewbooking"
        )
