"""Webhooks in the admin: subscriptions per API client, and the delivery log with redeliver, each scoped to
the staff member's restaurants (a subscription to all restaurants spans tenants: superusers only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from tenancy.admin import RestaurantScopedAdminMixin
from tenancy.selectors import members_of_restaurants_of
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.selectors import webhook_deliveries_for_staff, webhook_subscriptions_for_staff
from webhooks.services import webhook_delivery_redeliver

STATUS_COLOURS = {"pending": "#8a6d00", "delivered": "#1e7e34", "failed": "#b02a37"}


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("url", "owner", "restaurant", "events", "is_active", "created_at")
    list_filter = ("is_active", "restaurant")
    search_fields = ("url", "owner__username", "description")
    autocomplete_fields = ()
    readonly_fields = ("created_at",)

    def scope(self, request, qs):
        return webhook_subscriptions_for_staff(user=request.user, qs=qs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner" and not request.user.is_superuser:  # members of one's restaurants only
            kwargs["queryset"] = members_of_restaurants_of(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "restaurant" and not request.user.is_superuser:
            field.required = True  # all restaurants: superusers only
        return field

    @admin.display(description="event types")
    def events(self, obj):
        return ", ".join(obj.event_types) or "all"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: one line per (event, endpoint), what the endpoint last answered, and when the next
    try is due; given-up deliveries are one filter away and can be redelivered."""

    list_display = (
        "id",
        "status_badge",
        "event_label",
        "endpoint",
        "attempts_count",
        "last_answer",
        "next_or_done",
    )
    list_display_links = ("id",)
    list_filter = ("status", "event__event_type", ("subscription", admin.RelatedOnlyFieldListFilter))
    search_fields = ("subscription__url", "event__aggregate_id")
    list_select_related = ("event", "subscription")
    list_per_page = 50
    actions = ["redeliver"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def get_queryset(self, request):
        return webhook_deliveries_for_staff(user=request.user, qs=super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": "Webhook delivery log"})

    @admin.display(description="event", ordering="event__event_type")
    def event_label(self, obj):
        return format_html("{} <small>#{}</small>", obj.event.event_type, obj.event_id)

    @admin.display(description="endpoint", ordering="subscription__url")
    def endpoint(self, obj):
        url = obj.subscription.url
        short = url.split("://", 1)[-1]
        return format_html('<span title="{}">{}</span>', url, short if len(short) <= 34 else short[:33] + "…")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<strong style="color:{}">{}</strong>',
            STATUS_COLOURS.get(obj.status, "#333"),
            obj.get_status_display(),
        )

    @admin.display(description="tries", ordering="attempts")
    def attempts_count(self, obj):
        return obj.attempts

    @admin.display(description="last answer")
    def last_answer(self, obj):
        if obj.last_status_code:
            return format_html('<span title="{}">HTTP {}</span>', obj.last_error, obj.last_status_code)
        if obj.last_error:
            return format_html('<span title="{}">no answer</span>', obj.last_error)
        return "—"

    @admin.display(description="next try / delivered")
    def next_or_done(self, obj):
        if obj.status == "delivered" and obj.delivered_at:
            return format_html("delivered {}", date_format(localtime(obj.delivered_at), "j M H:i"))
        if obj.status == "pending":
            return format_html("next {}", date_format(localtime(obj.next_attempt_at), "j M H:i:s"))
        return "—"

    @admin.action(description="Redeliver the selected deliveries now", permissions=["change"])
    def redeliver(self, request, queryset):
        n = 0
        for delivery in queryset:
            webhook_delivery_redeliver(delivery=delivery)
            n += 1
        self.message_user(request, f"{n} deliver{'y' if n == 1 else 'ies'} queued again.", messages.SUCCESS)
