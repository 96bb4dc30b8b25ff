"""Webhooks in the admin: subscriptions per API client, and the delivery log with redeliver, each scoped to
the staff member's restaurants (a subscription to all restaurants spans tenants: superusers only).

A subscription's signing secret is never shown in full here, to anyone: its pages show it masked
("whsec_…abcd"). Its owner reads it over the API (webhooks.api.views). A superuser, or a manager of the
subscription's restaurant, may rotate it ("Rotate secret…" on its page, after a confirmation): the new secret is
shown once, on the answer to that request, and the old one stops working at once. The confirmation is bound to the
secret it was shown for (a keyed fingerprint, never the secret): re-posting the answer (a refresh) or a second
person confirming the same page rotates nothing and says so, naming who rotated it last and when (from that
history row; in the restaurant's time zone, or the admin's for a subscription to all restaurants). Each rotation is
in the subscription's history (the admin's log: who, when)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import get_current_timezone, localtime

from tenancy.admin import RestaurantScopedAdminMixin
from tenancy.models import WEBHOOK_ROLES, Role
from tenancy.selectors import members_of_restaurants_of, restaurant_ids_with_role, user_has_role
from webhooks.models import (
    EVENT_TYPES,
    WebhookDelivery,
    WebhookSubscription,
    masked_secret,
    secret_fingerprint,
)
from webhooks.selectors import (
    ROTATED_MESSAGE,
    webhook_deliveries_for_staff,
    webhook_secret_last_rotation,
    webhook_subscriptions_for_staff,
)
from webhooks.services import webhook_delivery_redeliver, webhook_subscription_rotate_secret

ALREADY_ROTATED = (
    "This secret was already rotated; it is shown only once. Rotate again if you did not copy it."
)

STATUS_COLOURS = {"pending": "#8a6d00", "delivered": "#1e7e34", "failed": "#b02a37"}


class SubscriptionForm(forms.ModelForm):
    """The owner must be a booking platform or a manager where the subscription listens (anywhere, for all
    restaurants): the relay delivers to no one else, so a subscription owned by a host would stay silent."""

    class Meta:
        model = WebhookSubscription
        fields = ("owner", "url", "event_types", "restaurant", "description", "is_active")  # never the secret

    def clean_event_types(self):
        """A list of the known event types (empty: all of them); '', {"a": 1} or ["nope"] say what is wanted."""
        value = self.cleaned_data.get("event_types")
        if value in (None, ""):
            return []
        known = ", ".join(EVENT_TYPES)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError(f'A list of event types, e.g. ["booking.confirmed"]; known: {known}.')
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise forms.ValidationError(f"Unknown event type(s): {', '.join(unknown)}; known: {known}.")
        return value

    def clean(self):
        data = super().clean()
        owner, restaurant = data.get("owner"), data.get("restaurant")
        if owner is None:
            return data
        allowed = restaurant_ids_with_role(owner, WEBHOOK_ROLES)
        if allowed is None:  # a superuser
            return data
        if (restaurant is not None and restaurant.pk not in allowed) or (restaurant is None and not allowed):
            where = restaurant.name if restaurant is not None else "any restaurant"
            self.add_error(
                "owner",
                f"{owner} is not a booking platform or a manager at {where}: webhooks are delivered only to"
                " them, so this subscription would never hear of an event.",
            )
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(RestaurantScopedAdminMixin, admin.ModelAdmin):
    list_display = ("url", "owner", "restaurant", "events", "is_active", "created_at")
    list_filter = ("is_active", "restaurant")
    search_fields = ("url", "owner__username", "description")
    autocomplete_fields = ()
    exclude = ("secret",)
    readonly_fields = ("signing_secret", "created_at")
    fields = (
        "owner",
        "url",
        "signing_secret",
        "event_types",
        "restaurant",
        "description",
        "is_active",
        "created_at",
    )
    change_form_template = "admin/webhooks/webhooksubscription/change_form.html"

    def scope(self, request, qs):
        return webhook_subscriptions_for_staff(user=request.user, qs=qs)

    def lookup_allowed(self, lookup, value, request=None):
        """Never a filter on the secret (the changelist takes any local field's lookup from its URL:
        `?secret__startswith=whsec_a` would read it a character at a time); a 400 instead."""
        if lookup.split("__", 1)[0] == "secret":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return super().get_form(request, obj, change, **{"form": SubscriptionForm, **kwargs})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner" and not request.user.is_superuser:
            # the booking platforms and managers of one's restaurants: no one else is ever delivered to
            kwargs["queryset"] = members_of_restaurants_of(request.user, WEBHOOK_ROLES)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "restaurant" and not request.user.is_superuser:
            field.required = True  # all restaurants: superusers only
        return field

    @admin.display(description="event types")
    def events(self, obj):
        return ", ".join(obj.event_types) or "all"

    @admin.display(description="signing secret")
    def signing_secret(self, obj):
        if obj is None or obj.pk is None:
            return "Made when the subscription is saved; its owner reads it over the API."
        return format_html(
            '<code style="font-size:1.1em">{}</code><br><small style="color:var(--body-quiet-color)">Masked'
            " for everyone; its owner reads it over the API. A superuser or a manager of its restaurant may"
            " rotate it (<em>Rotate secret…</em> at the top right).</small>",
            masked_secret(obj.secret),
        )

    # ---- rotating the signing secret

    def may_rotate(self, request, obj) -> bool:
        """A superuser, or a staff member who may change the subscription and manages its restaurant."""
        user = request.user
        if user.is_superuser:
            return True
        return (
            obj.restaurant_id is not None
            and self.has_change_permission(request, obj)
            and user_has_role(user, obj.restaurant_id, {Role.MANAGER})
        )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.rotate_secret_view)
        return [
            path("<path:object_id>/rotate-secret/", view, name=f"{info[0]}_{info[1]}_rotate_secret"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_rotate"] = obj is not None and self.may_rotate(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def rotate_secret_view(self, request, object_id):
        """GET: what rotating does, and a button bound to the current secret. POST: rotate if the secret is still
        that one, log who did, and show the new secret once (never stored in a message or cookie; the answer is
        not cached); else (a refresh of the answer, or someone was quicker) rotate nothing and say so (409)."""
        subscription = self.get_object(request, unquote(object_id))  # the staff member's restaurants only
        if subscription is None:
            raise Http404("No such webhook subscription among your restaurants.")
        if not self.may_rotate(request, subscription):
            raise PermissionDenied("Only a superuser or a manager of its restaurant may rotate this secret.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": subscription,
            "title": f"Rotate the signing secret of {subscription.url}?",
            "masked": masked_secret(subscription.secret),
            "confirmed_for": secret_fingerprint(subscription.secret),
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[subscription.pk]
            ),
        }
        status = 200
        if request.method == "POST":
            with transaction.atomic():
                secret = webhook_subscription_rotate_secret(
                    subscription=subscription, confirmed_for=request.POST.get("confirmed_for", "")
                )
                if secret is not None:
                    self.log_change(request, subscription, ROTATED_MESSAGE)
            if secret is not None:
                context.update(title="New signing secret", secret=secret, masked=masked_secret(secret))
            else:
                subscription.refresh_from_db(fields=["secret"])
                context.update(
                    title="Signing secret already rotated",
                    already_rotated=ALREADY_ROTATED,
                    rotated_by=rotated_by_text(request, subscription),
                    masked=masked_secret(subscription.secret),
                    confirmed_for=secret_fingerprint(subscription.secret),
                )
                status = 409
        response = TemplateResponse(
            request, "admin/webhooks/webhooksubscription/rotate_secret.html", context, status=status
        )
        response["Cache-Control"] = "no-store"
        return response

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            f"Its signing secret ({masked_secret(obj.secret)}) was made: its owner reads it over the API"
            f" (GET /api/webhooks/subscriptions/{obj.pk}).",
            messages.INFO,
        )
        return super().response_add(request, obj, post_url_continue)


def rotated_by_text(request, subscription) -> str:
    """ "It was rotated by Ada Lovelace (ada) at 20:41:07 on Sat 5 Dec 2026, Europe/London time.": who rotated
    the secret last and when, in the restaurant's time zone (the admin's for a subscription to all
    restaurants); '' when no rotation is on record."""
    last = webhook_secret_last_rotation(subscription=subscription)
    if last is None:
        return ""
    restaurant = subscription.restaurant
    tz = restaurant.tzinfo if restaurant is not None else get_current_timezone()
    when = localtime(last.at, tz)
    you = last.user_id is not None and last.user_id == request.user.pk
    name = last.username or "a deleted user"
    if last.full_name:
        who = f"{last.full_name} ({name}{', you' if you else ''})"
    else:
        who = f"{name} (you)" if you else name
    zone = getattr(tz, "key", str(tz))
    return f"It was rotated by {who} at {when:%H:%M:%S} on {when:%a} {when.day} {when:%b %Y}, {zone} time."


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
