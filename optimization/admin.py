"""The scheduled optimizer in the admin: when it runs per restaurant, and what each run found."""

from __future__ import annotations

from django.contrib import admin

from optimization.models import OptimizerRun, OptimizerSchedule


@admin.register(OptimizerSchedule)
class OptimizerScheduleAdmin(admin.ModelAdmin):
    list_display = ("restaurant", "run_at", "time_limit_seconds", "is_active")
    list_filter = ("is_active", "restaurant")
    list_editable = ("is_active",)


@admin.register(OptimizerRun)
class OptimizerRunAdmin(admin.ModelAdmin):
    list_display = ("restaurant", "day", "started_at", "status", "gain", "applied", "moved", "newly_seated",
                    "covers", "frozen")
    list_filter = ("status", "applied", "restaurant")
    date_hierarchy = "day"
    readonly_fields = [f.name for f in OptimizerRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="gain found")
    def gain(self, obj):
        return "—" if obj.improvement is None else f"{obj.improvement:+.1%}"

    @admin.display(description="covers before → after")
    def covers(self, obj):
        return "—" if obj.covers_before is None else f"{obj.covers_before} → {obj.covers_after}"
