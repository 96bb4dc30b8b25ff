"""Audit and plumbing rows: history, attempts, allocations, holds, outbox. Read-only."""

from __future__ import annotations

from django.contrib import admin

from assignments.admin.common import ReadOnlyAdmin
from assignments.models import (
    BookingAssignmentAttempt,
    BookingStateHistory,
    Hold,
    OutboxEvent,
    TableAllocation,
)
from assignments.templatetags.maitre_admin import state_badge
from tenancy.admin import RestaurantScopedAdminMixin


@admin.register(BookingStateHistory)
class BookingStateHistoryAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "booking__restaurant"
    list_display = ("booking", "version", "from_badge", "to_badge", "transition", "actor_label", "created_at")
    list_filter = ("to_state", "transition")
    search_fields = ("booking__external_ref", "correlation_id", "actor_label")
    list_select_related = ("booking",)

    @admin.display(description="from", ordering="from_state")
    def from_badge(self, obj):
        return state_badge(obj.from_state) if obj.from_state else "—"

    @admin.display(description="to", ordering="to_state")
    def to_badge(self, obj):
        return state_badge(obj.to_state)


@admin.register(BookingAssignmentAttempt)
class BookingAssignmentAttemptAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "booking__restaurant"
    list_display = ("booking", "attempt_no", "strategy", "result", "reason", "created_at")
    list_filter = ("result", "strategy")
    search_fields = ("booking__external_ref", "correlation_id")
    list_select_related = ("booking",)


@admin.register(TableAllocation)
class TableAllocationAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("table", "booking", "hold", "start_at", "end_at", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("table__label", "booking__external_ref")
    list_select_related = ("table", "booking", "restaurant", "hold")


@admin.register(Hold)
class HoldAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("id", "restaurant", "party_size", "start_at", "end_at", "expires_at", "booking")
    list_filter = ("restaurant",)
    list_select_related = ("restaurant", "booking")


@admin.register(OutboxEvent)
class OutboxEventAdmin(RestaurantScopedAdminMixin, ReadOnlyAdmin):
    restaurant_field = "restaurant_id"
    list_display = ("id", "event_type", "aggregate_id", "restaurant_id", "created_at", "published_at")
    list_filter = ("event_type",)
    search_fields = ("aggregate_id", "correlation_id")
