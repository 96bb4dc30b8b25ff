"""The floor: restaurants (with the way to their timeline), zones, tables, adjacency, and the blocks' record."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from assignments.admin.common import ReadOnlyAdmin
from assignments.admin.schedule import (
    ScheduleExceptionInline,
    WeeklyServiceInline,
    schedule_change_warn,
    schedule_changed_dates,
)
from assignments.admin.service import TimelineWalkInMixin
from assignments.admin.timeline import RestaurantTimelineMixin
from assignments.models import Restaurant, Table, TableAdjacency, TableBlock, Zone
from assignments.services.floor import table_save
from assignments.services.schedule import restaurant_timezone_change, schedule_change_follow
from tenancy.admin import RestaurantScopedAdminMixin


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Restaurant)
class RestaurantAdmin(
    TimelineWalkInMixin, RestaurantTimelineMixin, RestaurantScopedAdminMixin, admin.ModelAdmin
):
    restaurant_field = ""
    list_display = (
        "name",
        "slug",
        "timezone",
        "slot_minutes",
        "buffer_minutes",
        "max_combination_tables",
        "timeline_link",
    )
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    # a cache key drawn at random on every floor change (services.floor): shown on a restaurant's page (not the add
    # page: get_fieldsets), never edited, not listed (19 digits that say nothing to a host)
    readonly_fields = ("floor_version",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "timezone")}),
        (
            "Floor and turns",
            {
                "fields": (
                    "slot_minutes",
                    "buffer_minutes",
                    "max_combination_tables",
                    "turn_minutes",
                    "service_periods",
                    "max_assignment_attempts",
                    "scoring_weights",
                    "floor_version",
                )
            },
        ),
        (
            "Bookings and the evening",
            {
                "fields": (
                    "booking_past_grace_minutes",
                    "booking_horizon_days",
                    "no_show_grace_minutes",
                    "late_tolerance_minutes",
                )
            },
        ),
        (
            "Pacing",
            {"fields": ("pacing_covers_per_slot", "pacing_bookings_per_slot", "pacing_covers_per_service")},
        ),
    )
    inlines = [ZoneInline, WeeklyServiceInline, ScheduleExceptionInline]
    change_form_template = "admin/assignments/restaurant/change_form.html"

    def get_fieldsets(self, request, obj=None):
        """The add page leaves the floor version out: a new restaurant has no floor yet."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        return [
            (name, {**options, "fields": tuple(f for f in options["fields"] if f != "floor_version")})
            for name, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        """A new time zone goes through its own service (it moves every booking's local time); the rest is saved
        as usual first."""
        zone = obj.timezone
        if change and "timezone" in form.changed_data:
            obj.timezone = form.initial["timezone"]
            super().save_model(request, obj, form, change)
            restaurant_timezone_change(restaurant=obj, timezone=zone)
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        restaurant = form.instance
        zone = form.initial.get("timezone") if change and "timezone" in form.changed_data else None
        dates = schedule_changed_dates(
            restaurant=restaurant, form=form, formsets=formsets, previous_zone=zone
        )
        if dates:
            change = schedule_change_follow(restaurant=restaurant, dates=dates)
            dates = dates | set(change.moved.values())  # a booking on another service day now: its day too
            schedule_change_warn(self, request, restaurant=restaurant, dates=dates, previous_zone=zone)

    @admin.display(description="timeline")
    def timeline_link(self, obj):
        return format_html(
            '<a href="{}">today’s timeline</a>',
            reverse("admin:assignments_restaurant_timeline", args=[obj.pk]),
        )


@admin.register(TableBlock)
class TableBlockAdmin(ReadOnlyAdmin):
    """Blocks are made and removed from the timeline; listed here for the record."""

    list_display = ("id", "restaurant", "reason", "start_at", "end_at", "created_by", "created_at")
    list_filter = ("restaurant",)
    list_select_related = ("restaurant", "created_by")


@admin.register(Zone)
class ZoneAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "key", "restaurant", "priority")
    list_filter = ("restaurant",)
    search_fields = ("name", "key")


@admin.register(Table)
class TableAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "label",
        "restaurant",
        "zone",
        "min_covers",
        "max_covers",
        "combinable",
        "accessible",
        "active",
    )
    list_filter = ("restaurant", "zone", "combinable", "accessible", "active")
    search_fields = ("label",)
    list_select_related = ("restaurant", "zone")

    def save_model(self, request, obj, form, change):
        table_save(table=obj, created=not change, changed=form.changed_data)


@admin.register(TableAdjacency)
class TableAdjacencyAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("table_a", "table_b", "restaurant")
    list_filter = ("restaurant",)
    search_fields = ("table_a__label", "table_b__label")
    list_select_related = ("table_a", "table_b", "restaurant")
