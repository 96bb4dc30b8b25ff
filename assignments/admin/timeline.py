"""The day's timeline of a restaurant, and the moves a host makes on it (seat, move, block, unblock)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from assignments.admin import common
from assignments.admin.common import TOUCH_COOKIE, can_assign, id_from, refusal_html, restaurants_visible_to
from assignments.admin.service import can_serve
from assignments.lifecycle import Actor
from assignments.models import Booking, Restaurant, TableBlock
from assignments.selectors.timeline import restaurant_day_timeline
from assignments.services.blocks import BlockRefused, block_window, table_block_create, table_block_remove
from assignments.services.manual import (
    ManualAssignmentError,
    booking_seat_at_table,
)
from assignments.services.walk_ins import clock as walk_in_clock


class RestaurantTimelineMixin:
    """The timeline's pages, mixed into RestaurantAdmin."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/timeline/", wrap(self.timeline_view), name="assignments_restaurant_timeline"
            ),
            path(
                "<path:object_id>/timeline/seat/",
                wrap(self.timeline_seat_view),
                name="assignments_restaurant_timeline_seat",
            ),
            path(
                "<path:object_id>/timeline/block/",
                wrap(self.timeline_block_view),
                name="assignments_restaurant_timeline_block",
            ),
            path(
                "<path:object_id>/timeline/unblock/",
                wrap(self.timeline_unblock_view),
                name="assignments_restaurant_timeline_unblock",
            ),
        ] + super().get_urls()

    def _timeline_restaurant(self, request, object_id) -> Restaurant:
        if not (self.has_view_permission(request) or request.user.has_perm("assignments.view_booking")):
            raise PermissionDenied
        return get_object_or_404(restaurants_visible_to(request.user), pk=id_from(object_id))

    def _timeline_url(self, restaurant: Restaurant, request) -> str:
        url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        params = {k: request.POST.get(k) for k in ("date", "span") if request.POST.get(k)}
        return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")

    def _require_assign(self, request):
        if not can_assign(request.user):
            raise PermissionDenied("Moving, seating and blocking needs the 'assign bookings' permission.")

    # the days the timeline shows: each with a day before and after it (its arrows), and its services in UTC
    FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)

    def _shown_day(self, request) -> date | None:
        """The ?date= asked for, or None (today) after a warning when it is no date the timeline shows."""
        if not request.GET.get("date"):
            return None
        try:
            day = date.fromisoformat(request.GET["date"])
        except ValueError:
            day = None
        if day is None or not self.FIRST_DAY <= day <= self.LAST_DAY:
            self.message_user(
                request,
                f"Dates look like 2026-12-05, from {self.FIRST_DAY:%Y} to {self.LAST_DAY:%Y}; showing today.",
                messages.WARNING,
            )
            return None
        return day

    def timeline_view(self, request, object_id):
        restaurant = self._timeline_restaurant(request, object_id)
        day = self._shown_day(request)
        now = common.console_now()
        day = day or restaurant.service_day_of(now)
        focus = id_from(request.GET.get("booking"))
        whole_day = request.GET.get("span") == "day"
        touch = request.COOKIES.get(TOUCH_COOKIE) == "1"
        timeline = restaurant_day_timeline(
            restaurant=restaurant,
            day=day,
            focus_booking_id=focus,
            now_line=now,
            whole_day=whole_day,
            all_waiting=request.GET.get("waiting") == "all",
            touch=touch,
        )
        base = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        span = "&span=day" if whole_day else ""
        layout = timeline.layout
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{restaurant.name}: {day:%A %d %B %Y}",
            "restaurant": restaurant,
            "timeline": timeline,
            "layout": layout,
            "grid_width": layout.width - layout.label_width,
            "body_height": layout.height - layout.header_height,
            "day": day,
            "whole_day": whole_day,
            "zoom_url": f"{base}?date={day.isoformat()}" + ("" if whole_day else "&span=day"),
            "all_waiting_url": f"{base}?date={day.isoformat()}{span}&waiting=all"
            + (f"&booking={focus}" if focus is not None else ""),
            "prev_url": f"{base}?date={date.fromordinal(day.toordinal() - 1).isoformat()}{span}",
            "next_url": f"{base}?date={date.fromordinal(day.toordinal() + 1).isoformat()}{span}",
            "states": list(layout.states),
            "table_labels": [r.label for r in layout.rows if r.label],
            "can_assign": can_assign(request.user),
            "seat_url": reverse("admin:assignments_restaurant_timeline_seat", args=[restaurant.pk]),
            "block_url": reverse("admin:assignments_restaurant_timeline_block", args=[restaurant.pk]),
            "unblock_url": reverse("admin:assignments_restaurant_timeline_unblock", args=[restaurant.pk]),
            "can_serve": can_serve(request.user, restaurant),
            "walk_in_url": reverse("admin:assignments_restaurant_timeline_walk_in", args=[restaurant.pk]),
            "is_tonight": day == restaurant.service_day_of(walk_in_clock()),
            "here_url": request.get_full_path(),
            "touch_rows": "1" if touch else "",
        }
        return TemplateResponse(request, "admin/assignments/restaurant/timeline.html", context)

    def timeline_seat_view(self, request, object_id):
        """Seat a waiting booking at a table, or move a confirmed one there: picked on the timeline."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        back = self._timeline_url(restaurant, request)
        booking = Booking.objects.filter(
            pk=id_from(request.POST.get("booking")), restaurant=restaurant
        ).first()
        table = (request.POST.get("table") or "").strip()
        version = id_from(request.POST.get("version"))
        if booking is None or not table or version is None:
            self.message_user(request, "Pick a booking, then a table row.", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            moved = booking_seat_at_table(
                booking=booking,
                table_label=table,
                actor=Actor.staff(request.user),
                expected_version=version,
            )
        except ManualAssignmentError as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
        else:
            done = (
                f"Booking {booking} moved to {table}."
                if moved
                else f"Booking {booking} confirmed at {table}."
            )
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(back)

    def timeline_block_view(self, request, object_id):
        """Block a table for a time range of the shown day (a private event, a broken chair)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        back = self._timeline_url(restaurant, request)
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
            start_t = datetime.strptime(request.POST.get("start", ""), "%H:%M").time()
            end_t = datetime.strptime(request.POST.get("end", ""), "%H:%M").time()
        except ValueError:
            self.message_user(
                request, "Give the block a start and an end like 18:00 and 23:00.", messages.ERROR
            )
            return HttpResponseRedirect(back)
        try:
            start_at, end_at = block_window(restaurant=restaurant, day=day, start=start_t, end=end_t)
            block = table_block_create(
                restaurant=restaurant,
                table_labels=request.POST.getlist("table"),
                start_at=start_at,
                end_at=end_at,
                reason=request.POST.get("reason", ""),
                user=request.user,
            )
        except BlockRefused as exc:
            self.message_user(request, refusal_html(exc), messages.ERROR)
        else:
            tables = ", ".join(sorted(block.allocations.values_list("table__label", flat=True)))
            self.message_user(
                request,
                f"{tables} blocked {start_t:%H:%M}–{end_t:%H:%M}: {block.reason}. The engine "
                f"and availability leave it alone.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(back)

    def timeline_unblock_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        self._require_assign(request)
        block = TableBlock.objects.filter(
            pk=id_from(request.POST.get("block")), restaurant=restaurant
        ).first()
        if block is None:
            self.message_user(request, "That block is gone already.", messages.WARNING)
        else:
            table_block_remove(block=block)
            self.message_user(
                request, f"Block removed ({block.reason}); the table is free again.", messages.SUCCESS
            )
        return HttpResponseRedirect(self._timeline_url(restaurant, request))
