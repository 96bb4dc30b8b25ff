"""Admin registrations. The manual-review queue and its actions live in assignments.review_admin."""

from django.contrib import admin

from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingStateHistory,
    Hold,
    OutboxEvent,
    Restaurant,
    Table,
    TableAdjacency,
    TableAllocation,
    Zone,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit rows: visible, never edited or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Restaurant)
class RestaurantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "slot_minutes", "buffer_minutes", "max_combination_tables", "floor_version")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ZoneInline]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "restaurant", "priority")
    list_filter = ("restaurant",)
    search_fields = ("name", "key")


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("label", "restaurant", "zone", "min_covers", "max_covers", "combinable", "accessible", "active")
    list_filter = ("restaurant", "zone", "combinable", "accessible", "active")
    search_fields = ("label",)
    list_select_related = ("restaurant", "zone")


@admin.register(TableAdjacency)
class TableAdjacencyAdmin(admin.ModelAdmin):
    list_display = ("table_a", "table_b", "restaurant")
    list_filter = ("restaurant",)
    list_select_related = ("table_a", "table_b", "restaurant")


@admin.register(BookingStateHistory)
class BookingStateHistoryAdmin(ReadOnlyAdmin):
    list_display = ("booking", "version", "from_state", "to_state", "transition", "actor_label", "created_at")
    list_filter = ("to_state", "transition")
    search_fields = ("booking__external_ref", "correlation_id", "actor_label")
    list_select_related = ("booking",)


@admin.register(BookingAssignmentAttempt)
class BookingAssignmentAttemptAdmin(ReadOnlyAdmin):
    list_display = ("booking", "attempt_no", "strategy", "result", "reason", "created_at")
    list_filter = ("result", "strategy")
    search_fields = ("booking__external_ref", "correlation_id")
    list_select_related = ("booking",)


@admin.register(TableAllocation)
class TableAllocationAdmin(ReadOnlyAdmin):
    list_display = ("table", "booking", "hold", "start_at", "end_at", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("table__label", "booking__external_ref")
    list_select_related = ("table", "booking", "restaurant")


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ("id", "restaurant", "party_size", "start_at", "end_at", "expires_at", "booking")
    list_filter = ("restaurant",)
    list_select_related = ("restaurant", "booking")


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "aggregate_id", "restaurant_id", "created_at", "published_at")
    list_filter = ("event_type",)
    search_fields = ("aggregate_id", "correlation_id")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "restaurant", "party_size", "start_at", "state", "version", "assignment_strategy")
    list_filter = ("state", "restaurant")
    search_fields = ("external_ref", "guest_name")
    list_select_related = ("restaurant",)
    readonly_fields = ("state", "version", "assignment_attempts", "assigned_at", "assignment_strategy", "last_correlation_id")
