"""The review queue: bookings a person must decide, grouped by service, soonest first."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from assignments.admin import common
from assignments.admin.bookings import BookingAdmin
from assignments.admin.common import id_from, restaurants_visible_to
from assignments.models import Booking, BookingState, ReviewBooking
from assignments.selectors.heal import floor_healed_recent
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.selectors.review import (
    review_queue,
    review_reasons,
    review_service_counts,
    service_day_bounds,
    service_label,
)


class ServiceDayFilter(admin.SimpleListFilter):
    """Which services: the coming ones by default (tonight and the next six days), never last January's."""

    title = "service"
    parameter_name = "when"
    DEFAULT = "coming"
    SPANS = {"today": (0, 1), "tomorrow": (1, 1), "coming": (0, 7), "past": (-365, 365)}

    def lookups(self, request, model_admin):
        return [
            ("coming", "Tonight and the next 6 days"),
            ("today", "Tonight"),
            ("tomorrow", "Tomorrow"),
            ("past", "Past services (missed)"),
            ("all", "Any day"),
        ]

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        for key, title in self.lookup_choices:
            yield {
                "selected": self.value() == key,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        now = common.console_now()
        scope = Q()
        for restaurant in restaurants_visible_to(request.user):
            today = restaurant.service_day_of(now)
            if value == "past":
                start, _ = service_day_bounds(restaurant=restaurant, first=today, days=1)
                scope |= Q(restaurant=restaurant, start_at__lt=start)
                continue
            offset, days = self.SPANS.get(value, self.SPANS[self.DEFAULT])
            start, end = service_day_bounds(
                restaurant=restaurant, first=today + timedelta(days=offset), days=days
            )
            scope |= Q(restaurant=restaurant, start_at__gte=start, start_at__lt=end)
        return queryset.filter(scope) if scope else queryset.none()


class QueueStateFilter(admin.SimpleListFilter):
    """Only the states a booking in the queue can be in, each with its count."""

    title = "why"
    parameter_name = "state"
    LABELS = {BookingState.MANUAL_REVIEW: "Sent to review", BookingState.ASSIGNMENT_PENDING: "Stuck waiting"}

    def lookups(self, request, model_admin):
        qs = model_admin.get_queryset(request)
        counts = {state: qs.filter(state=state).count() for state in self.LABELS}
        return [
            (state, f"{label} ({counts[state]})") for state, label in self.LABELS.items() if counts[state]
        ]

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class RestaurantScopeFilter(admin.SimpleListFilter):
    """Offered only when the user sees more than one restaurant."""

    title = "restaurant"
    parameter_name = "restaurant"

    def lookups(self, request, model_admin):
        restaurants = list(restaurants_visible_to(request.user))
        return [(str(r.pk), r.name) for r in restaurants] if len(restaurants) > 1 else []

    def queryset(self, request, queryset):
        return (
            queryset.filter(restaurant_id=self.value())
            if self.value() and self.value().isdigit()
            else queryset
        )


@admin.register(ReviewBooking)
class ReviewQueueAdmin(BookingAdmin):
    """Bookings a person must decide (manual_review, or stuck in assignment_pending), grouped by service, soonest
    first; one compact line each, so a laptop shows a dozen with their actions."""

    list_display = ("booking_ref", "party", "when", "needs", "reason", "waiting_since", "row_actions")
    list_display_links = None
    list_filter = (ServiceDayFilter, QueueStateFilter, RestaurantScopeFilter, "needs_accessible")
    date_hierarchy = None
    list_per_page = 100
    change_list_template = "admin/assignments/reviewbooking/change_list.html"

    def get_list_display(self, request):
        if restaurants_visible_to(request.user).count() > 1:
            return ("booking_ref", "restaurant", *self.list_display[1:])
        return self.list_display

    def get_queryset(self, request):
        return review_queue(qs=Booking.objects.filter(restaurant__in=restaurants_visible_to(request.user)))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("assignments.view_booking") or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # the queue is worked through its actions, never by editing rows

    def get_object(self, request, object_id, from_field=None):
        return (
            Booking.objects.filter(pk=id_from(object_id), restaurant__in=restaurants_visible_to(request.user))
            .select_related("restaurant", "preferred_zone")
            .first()
        )

    @admin.display(description="booking", ordering="id")
    def booking_ref(self, obj):
        url = reverse("admin:assignments_booking_change", args=[obj.pk])
        name = obj.guest_name or ""
        return format_html(
            '<a href="{}" class="maitre-ref">{}</a> <span class="maitre-guest">{}</span>',
            url,
            obj.external_ref or f"#{obj.pk}",
            name,
        )

    @admin.display(description="party", ordering="party_size")
    def party(self, obj):
        return obj.party_size

    @admin.display(description="time", ordering="start_at")
    def when(self, obj):
        tz = obj.restaurant.tzinfo
        text = f"{obj.start_at.astimezone(tz):%H:%M}–{obj.end_at.astimezone(tz):%H:%M}"
        now = common.console_now()
        if obj.start_at > now:
            return text
        if obj.end_at <= now:
            return format_html('{} <span class="maitre-started">over</span>', text)
        ago = common.minutes_text(int((now - obj.start_at).total_seconds() // 60))
        return format_html(
            '{} <span class="maitre-started" title="its time began {} ago and it has no table">started {} ago</span>',
            text,
            ago,
            ago,
        )

    @admin.display(description="needs")
    def needs(self, obj):
        parts = []
        if obj.needs_accessible:
            parts.append("♿")
        if obj.preferred_zone_id:
            parts.append(obj.preferred_zone.name)
        return " ".join(parts) or "—"

    @admin.display(description="why it is here")
    def reason(self, obj):
        if obj.state == BookingState.ASSIGNMENT_PENDING:
            text = "stuck waiting for the assigner"
        else:
            text = getattr(obj, "live_reason", "") or obj.review_reason or "—"
        return format_html('<span class="maitre-reason" title="{}">{}</span>', text, text)

    @admin.display(description="waiting")
    def waiting_since(self, obj):
        if not obj.state_since:
            return "—"
        minutes = int((timezone.now() - obj.state_since).total_seconds() // 60)
        return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"

    @admin.display(description="")
    def row_actions(self, obj):
        day = obj.restaurant.service_day_of(obj.start_at)
        timeline = (
            reverse("admin:assignments_restaurant_timeline", args=[obj.restaurant_id])
            + f"?date={day.isoformat()}&booking={obj.pk}"
        )
        if not getattr(obj, "can_assign", False):  # a host who may only look: the timeline, not a dead button
            return format_html('<a class="button maitre-timeline" href="{}">Timeline</a>', timeline)
        return format_html(
            '<a class="button maitre-assign" href="{}">Assign…</a> <a class="button maitre-timeline" href="{}">Timeline</a>',
            self._url("assign", obj),
            timeline,
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"title": "Review queue"}
        extra.update(extra_context or {})
        response = super().changelist_view(request, extra_context=extra)
        cl = getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        if cl is None:
            return response
        rows = list(cl.result_list)
        reasons = review_reasons(bookings=[b for b in rows if b.state == BookingState.MANUAL_REVIEW])
        many = restaurants_visible_to(request.user).count() > 1
        assigns = self.has_assign_permission(request)
        for b in rows:
            b.can_assign = assigns
            b.live_reason = reasons.get(b.pk, "")
            key, label = service_label(b)
            b.service_key, b.service_name = key, (f"{b.restaurant.name} · {label}" if many else label)
        response.context_data["service_counts"] = review_service_counts(qs=cl.queryset, with_restaurant=many)
        response.context_data["group_columns"] = len(self.get_list_display(request)) + 1
        response.context_data["healed_recent"] = floor_healed_recent(
            restaurants=restaurants_visible_to(request.user)
        )
        outside = days_with_confirmed_bookings_outside_service(
            restaurants=restaurants_visible_to(request.user)
        )
        for d in outside:
            for b in d.bookings:
                b.start_hhmm = f"{b.local_start:%H:%M}"
        response.context_data["outside_service_days"] = outside
        response.context_data["many_restaurants"] = many
        return response
