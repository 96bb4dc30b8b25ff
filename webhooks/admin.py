"""Webhooks in the admin: subscriptions per API client, and the delivery log with redeliver."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_delivery_redeliver

STATUS_COLOURS = {"pending": "#8a6d00", "delivered": "#1e7e34", "failed": "#b02a37"}


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "restaurant", "events", "is_active", "created_at")
    list_filter = ("is_active", "restaurant")
    search_fields = ("url", "owner__username", "description")
    autocomplete_fields = ()
    readonly_fields = ("created_at",)

    @admin.display(description="event types")
    def events(self, obj):
        return ", ".join(obj.event_types) or "all"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event_type", "event_id", "subscription", "status_badge", "attempts", "last_status_code",
                    "last_error", "next_attempt_at", "delivered_at")
    list_filter = ("status", "event__event_type", "subscription")
    search_fields = ("subscription__url", "event__aggregate_id")
    list_select_related = ("event", "subscription")
    actions = ["redeliver"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="event", ordering="event__event_type")
    def event_type(self, obj):
        return obj.event.event_type

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return format_html('<strong style="color:{}">{}</strong>', STATUS_COLOURS.get(obj.status, "#333"),
                           obj.get_status_display())

    @admin.action(description="Redeliver the selected deliveries now")
    def redeliver(self, request, queryset):
        n = 0
        for delivery in queryset:
            webhook_delivery_redeliver(delivery=delivery)
            n += 1
        self.message_user(request, f"{n} deliver{'y' if n == 1 else 'ies'} queued again.", messages.SUCCESS)
