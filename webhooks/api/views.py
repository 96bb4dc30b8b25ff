"""Booking platforms manage their own webhook subscriptions: each client sees and changes only its own.

Who may (README, "API": roles): booking platforms and managers (tenancy.models.WEBHOOK_ROLES), at the
subscription's restaurant; a subscription to all of a client's restaurants needs the role at one of them and
hears only of those where the client holds it. Hosts are refused with a 403, reads included (the secret).

The secret is shown to its owner when a subscription is created (and on its detail), to verify signatures with
any Standard Webhooks library; it is the owner's, so it is never shown in full in the admin, to staff or
superusers: there it reads `whsec_…abcd`, and a superuser or a manager of the subscription's restaurant may only
rotate it (webhooks.admin), after which the detail here gives the new one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from assignments.api.fields import RestaurantSlugField, StrictBooleanField, StrictCharField
from assignments.conf import events_settings
from assignments.models import Restaurant
from tenancy.models import WEBHOOK_ROLES
from webhooks.egress import host_is_private
from webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookSubscription
from webhooks.selectors import webhook_deliveries_latest, webhook_subscription_of, webhook_subscriptions_of
from webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
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
        if not events_settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and host_is_private(
            urlsplit(value).hostname or ""
        ):
            raise serializers.ValidationError("Webhooks go to public addresses only, not to this network.")
        return value


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


class WebhookApi(APIView):
    """Every webhook endpoint, reads included, is for booking platforms and managers."""

    required_roles = WEBHOOK_ROLES
    roles_guard_reads = True
    who_may = "Webhook subscriptions and their deliveries are for booking platforms and managers"

    def own(self, request, pk: int) -> WebhookSubscription:
        """The caller's subscription (anyone else's is a 404), if its role at the restaurant allows (else 403)."""
        sub = webhook_subscription_of(owner=request.user, pk=pk)
        self.check_object_permissions(request, sub)
        return sub

    def input(self, request, *, partial: bool = False) -> dict:
        """The valid input; a restaurant named in it needs the caller's role there too."""
        data = SubscriptionInput(data=request.data, partial=partial, context={"request": request})
        data.is_valid(raise_exception=True)
        if data.validated_data.get("restaurant") is not None:
            self.check_object_permissions(request, data.validated_data["restaurant"])
        return data.validated_data


class SubscriptionListApi(WebhookApi):
    @extend_schema(responses={200: SubscriptionOutput(many=True), **error_responses(403)})
    def get(self, request):
        subs = webhook_subscriptions_of(owner=request.user)
        return Response(SubscriptionOutput(subs, many=True).data)

    @extend_schema(
        request=SubscriptionInput, responses={201: SubscriptionOutput, **error_responses(400, 403, 413, 415)}
    )
    def post(self, request):
        sub = webhook_subscription_create(owner=request.user, **self.input(request))
        return Response(SubscriptionOutput(sub).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(WebhookApi):
    @extend_schema(responses={200: SubscriptionOutput, **error_responses(403, 404)})
    def get(self, request, pk: int):
        return Response(SubscriptionOutput(self.own(request, pk)).data)

    @extend_schema(
        request=SubscriptionInput(partial=True),
        responses={200: SubscriptionOutput, **error_responses(400, 403, 404, 413, 415)},
    )
    def patch(self, request, pk: int):
        sub = self.own(request, pk)
        sub = webhook_subscription_update(subscription=sub, **self.input(request, partial=True))
        return Response(SubscriptionOutput(sub).data)

    @extend_schema(responses={204: None, **error_responses(403, 404)})
    def delete(self, request, pk: int):
        webhook_subscription_delete(subscription=self.own(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionDeliveriesApi(WebhookApi):
    @extend_schema(responses={200: DeliveryOutput(many=True), **error_responses(403, 404)})
    def get(self, request, pk: int):
        deliveries = webhook_deliveries_latest(subscription=self.own(request, pk))
        return Response(DeliveryOutput(deliveries, many=True).data)
