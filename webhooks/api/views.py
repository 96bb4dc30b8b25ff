"""Booking platforms manage their own webhook subscriptions: each client sees and changes only its own.

The secret is shown when a subscription is created (and on its detail), to verify signatures with any
Standard Webhooks library.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import RestaurantSlugField, StrictBooleanField, StrictCharField
from assignments.conf import events_settings
from assignments.models import Restaurant
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.selectors import webhook_deliveries_latest, webhook_subscription_of, webhook_subscriptions_of
from webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)

EVENT_TYPES = (
    "booking.created",
    "booking.assignment_requested",
    "booking.confirmed",
    "booking.manual_review",
    "booking.cancelled",
    "booking.failed",
    "booking.modified",
    "booking.seated",
    "booking.completed",
    "booking.no_show",
)


class SubscriptionOutput(serializers.ModelSerializer):
    restaurant: serializers.SlugRelatedField[Restaurant] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "secret",
            "event_types",
            "restaurant",
            "description",
            "is_active",
            "created_at",
        ]


class SubscriptionInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), required=False, default=list
    )
    # Only one of the client's own restaurants (tenancy): another tenant's reads as unknown.
    restaurant = RestaurantSlugField(required=False, allow_null=True, default=None)
    description = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    is_active = StrictBooleanField(required=False, default=True)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https URLs can receive webhooks.")
        if not events_settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and _private_host(urlsplit(value).hostname or ""):
            raise serializers.ValidationError("Webhooks go to public addresses only, not to this network.")
        return value


def _private_host(host: str) -> bool:
    """A literal loopback, private, link-local or reserved address, or localhost (checked when a client
    subscribes; the staff in the admin may point a subscription anywhere)."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


class DeliveryOutput(serializers.ModelSerializer):
    event_id = serializers.IntegerField()
    event_type = serializers.CharField(source="event.event_type")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]


def _own(request, pk: int) -> WebhookSubscription:
    return webhook_subscription_of(owner=request.user, pk=pk)


class SubscriptionListApi(APIView):
    @extend_schema(responses={200: SubscriptionOutput(many=True), **error_responses()})
    def get(self, request):
        subs = webhook_subscriptions_of(owner=request.user)
        return Response(SubscriptionOutput(subs, many=True).data)

    @extend_schema(
        request=SubscriptionInput, responses={201: SubscriptionOutput, **error_responses(400, 413, 415)}
    )
    def post(self, request):
        data = SubscriptionInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        sub = webhook_subscription_create(owner=request.user, **data.validated_data)
        return Response(SubscriptionOutput(sub).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(APIView):
    @extend_schema(responses={200: SubscriptionOutput, **error_responses(404)})
    def get(self, request, pk: int):
        return Response(SubscriptionOutput(_own(request, pk)).data)

    @extend_schema(
        request=SubscriptionInput(partial=True),
        responses={200: SubscriptionOutput, **error_responses(400, 404, 413, 415)},
    )
    def patch(self, request, pk: int):
        sub = _own(request, pk)
        data = SubscriptionInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        sub = webhook_subscription_update(subscription=sub, **data.validated_data)
        return Response(SubscriptionOutput(sub).data)

    @extend_schema(responses={204: None, **error_responses(404)})
    def delete(self, request, pk: int):
        webhook_subscription_delete(subscription=_own(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionDeliveriesApi(APIView):
    @extend_schema(responses={200: DeliveryOutput(many=True), **error_responses(404)})
    def get(self, request, pk: int):
        deliveries = webhook_deliveries_latest(subscription=_own(request, pk))
        return Response(DeliveryOutput(deliveries, many=True).data)
