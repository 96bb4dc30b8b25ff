"""The scheduled optimizer in the admin: when it runs per restaurant, and what each run found."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from optimization.models import OptimizerRun, OptimizerSchedule

OUTCOMES = {
    "applied": ("applied", "#1e7e34"),
    "below_threshold": ("gain too small", "#555"),
    "unchanged": ("nothing better", "#555"),
    "aborted": ("aborted", "#8a6d00"),
    "no_solution": ("no plan found", "#8a6d00"),
    "error": ("failed", "#b02a37"),
    "running": ("running", "#1d5f8a"),
}


@admin.register(OptimizerSchedule)
class OptimizerScheduleAdmin(admin.ModelAdmin):
    list_display = ("restaurant", "run_at", "time_limit_seconds", "is_active")
    list_filter = ("is_active", "restaurant")
    list_editable = ("is_active",)


@admin.register(OptimizerRun)
class OptimizerRunAdmin(admin.ModelAdmin):
    list_display = ("restaurant", "day", "outcome", "gain", "covers", "moved", "newly_seated", "frozen")
    list_filter = ("status", "applied", "restaurant")
    date_hierarchy = "day"
    readonly_fields = [f.name for f in OptimizerRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": "Optimizer runs"})

    @admin.display(description="outcome", ordering="status")
    def outcome(self, obj):
        label, colour = OUTCOMES.get(obj.status, (obj.status, "#333"))
        return format_html(
            '<strong style="color:{};white-space:nowrap" title="{}">{}</strong>', colour, obj.reason, label
        )

    @admin.display(description="gain found")
    def gain(self, obj):
        return "—" if obj.improvement is None else f"{obj.improvement:+.1%}"

    @admin.display(description="covers")
    def covers(self, obj):
        return "—" if obj.covers_before is None else f"{obj.covers_before} → {obj.covers_after}"
