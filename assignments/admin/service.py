"""Host actions in the admin, for the evening itself: seat a party that arrived, complete one that left, mark a
no-show, seat a walk-in. Thin like the rest of the admin: the permission, one service through the lifecycle
door with `Actor.staff`, and a message a host reads in one glance.

Who may: staff with the `serve_booking` or `assign_booking` permission, or a staff member who is a host or a
manager of the restaurant (tenancy).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from assignments import lifecycle
from assignments.admin import common
from assignments.lifecycle import Actor, LifecycleError
from assignments.models import Booking, Restaurant, TableAllocation

MINUTE = timedelta(minutes=1)
SERVE_PERMISSIONS = ("assignments.serve_booking", "assignments.assign_booking")
SERVICE_ACTIONS = ("seat", "complete", "no-show")


def can_serve(user, restaurant: Restaurant | int) -> bool:
    """Whether the user may seat, complete, mark no-show and seat walk-ins at this restaurant."""
    from tenancy.selectors import user_works_the_floor

    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser or any(user.has_perm(p) for p in SERVE_PERMISSIONS):
        return True
    return user_works_the_floor(user, restaurant.pk if isinstance(restaurant, Restaurant) else restaurant)


def _tables(booking: Booking) -> str:
    return (
        "+".join(
            sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True))
        )
        or "—"
    )


def _squeeze(booking: Booking, now) -> str:
    """For a party seated late: what needs its tables before it would normally have finished, if anything."""
    from assignments.selectors.bookings import next_on_tables

    nxt = next_on_tables(booking=booking)
    if nxt is None:
        return ""
    stay = booking.end_at - booking.start_at
    left = nxt.start_at - now
    if left >= stay:
        return ""
    at = nxt.start_at.astimezone(booking.restaurant.tzinfo)
    if nxt.booking_id is not None:
        who = f"by {nxt.booking.external_ref or f'#{nxt.booking_id}'} ({nxt.booking.party_size}p)"
        todo = f"tell the party, or move {nxt.booking.external_ref or f'#{nxt.booking_id}'}"
    elif nxt.block_id is not None:
        who, todo = "(blocked)", "tell the party, or lift the block"
    else:
        who, todo = "by a hold", "tell the party"
    return (
        f"Heads up: {nxt.table.label} is needed at {at:%H:%M} {who}, {common.minutes_text(left // MINUTE)} from now, "
        f"where a party like this stays {common.minutes_text(stay // MINUTE)}: {todo}."
    )


class BookingServiceMixin:
    """For BookingAdmin: POST <id>/seat/, <id>/complete/, <id>/no-show/ (each with the booking's version)."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                f"<path:object_id>/{action}/",
                wrap(self._service_view(action)),
                name=f"{info[0]}_{info[1]}_{action}",
            )
            for action in SERVICE_ACTIONS
        ] + super().get_urls()

    def _service_view(self, action: str):
        def view(request, object_id):
            return self.service_action_view(request, object_id, action)

        return view

    def service_action_view(self, request, object_id, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = self._get_booking(request, object_id)
        if not can_serve(request.user, booking.restaurant_id):
            raise PermissionDenied("Seating, completing and no-shows are for the restaurant's hosts.")
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = self._after_url(booking)
        version = common.id_from(request.POST.get("version"))
        if version is None:
            self.message_user(
                request, "Reload the page and try again (its version is missing).", messages.ERROR
            )
            return HttpResponseRedirect(back)
        actor = Actor.staff(request.user)
        tz = booking.restaurant.tzinfo
        now = common.console_now()
        try:
            if action == "seat":
                lifecycle.booking_mark_seated(booking=booking, expected_version=version, actor=actor, now=now)
                late = (
                    f", {int((booking.arrived_at - booking.start_at).total_seconds() // 60)} min late"
                    if booking.arrived_late
                    else ""
                )
                text = f"{booking} seated at {_tables(booking)}{late}."
                squeeze = _squeeze(booking, now) if booking.arrived_late else ""
                if squeeze:
                    self.message_user(request, f"{text} {squeeze}", messages.WARNING)
                    return HttpResponseRedirect(back)
            elif action == "complete":
                lifecycle.booking_complete(booking=booking, expected_version=version, actor=actor, now=now)
                free = booking.left_at + timedelta(minutes=booking.restaurant.buffer_minutes)
                text = f"{booking} has left; {_tables(booking)} free from {free.astimezone(tz):%H:%M}."
            else:
                tables = _tables(booking)
                lifecycle.booking_mark_no_show(
                    booking=booking, expected_version=version, actor=actor, now=now
                )
                text = f"{booking} marked no-show; {tables} free from now."
        except LifecycleError as exc:
            self.message_user(request, f"Not done: {exc}.", messages.ERROR)
        else:
            self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(back)


class TimelineWalkInMixin:
    """For RestaurantAdmin: POST <id>/timeline/walk-in/ seats a party at the door now, or says when a table frees."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/timeline/walk-in/",
                wrap(self.timeline_walk_in_view),
                name="assignments_restaurant_timeline_walk_in",
            )
        ] + super().get_urls()

    def timeline_walk_in_view(self, request, object_id):
        from assignments.services.walk_ins import WalkInRefused, walk_in_seat

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        restaurant = self._timeline_restaurant(request, object_id)
        if not can_serve(request.user, restaurant):
            raise PermissionDenied("Walk-ins are for the restaurant's hosts.")
        back = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
        party_size = common.id_from(request.POST.get("party_size"))
        if party_size is None or not 1 <= party_size <= 100:
            self.message_user(request, "How many are they? Give the party size (1 to 100).", messages.ERROR)
            return HttpResponseRedirect(back)
        name = forms.CharField(required=False, max_length=200)  # refuses a NUL, which Postgres cannot store
        try:
            guest_name = name.clean(request.POST.get("guest_name", ""))
        except forms.ValidationError as exc:
            self.message_user(request, f"The guest's name: {' '.join(exc.messages)}", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            walk_in = walk_in_seat(
                restaurant=restaurant,
                party_size=party_size,
                guest_name=guest_name,
                needs_accessible=request.POST.get("needs_accessible") == "on",
                actor=Actor.staff(request.user),
            )
        except WalkInRefused as exc:  # its reason names when a table frees up, or that none does before close
            self.message_user(request, f"Walk-in of {party_size} not seated: {exc.reason}.", messages.WARNING)
            return HttpResponseRedirect(back)
        b = walk_in.booking
        until = b.end_at.astimezone(restaurant.tzinfo)
        self.message_user(
            request,
            f"Walk-in of {party_size} seated at {'+'.join(walk_in.tables)} until {until:%H:%M} ({b}).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(f"{back}?booking={b.pk}")
