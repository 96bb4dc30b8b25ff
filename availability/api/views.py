"""Thin views: validate, call one service or selector, shape the answer."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.models import Hold
from assignments.services.allocations import AllocationConflict
from assignments.services.holds import hold_create, hold_release, hold_tables
from availability.api.serializers import AvailabilityQuery, HoldInput, HoldOutput, StreamQuery
from availability.selectors import availability_for_day
from availability.streams import AvailabilityEventStream


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The tables are taken."


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat() if epoch is not None else None


def _fields(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


class HoldCreateApi(APIView):
    @extend_schema(request=HoldInput, responses={201: HoldOutput, 409: OpenApiResponse(description="Tables taken")})
    def post(self, request):
        data = HoldInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            hold = hold_create(
                restaurant=v["restaurant"], start_at=v["start_at"], party_size=v.get("party_size"),
                table_labels=v.get("tables"), ttl_seconds=v["ttl_seconds"], duration_minutes=v.get("duration_minutes"),
                booking=v.get("booking"), created_by=request.user,
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_fields(exc)) from exc
        except AllocationConflict as exc:
            raise Conflict(str(exc)) from exc
        hold.tables = hold_tables(hold=hold)
        return Response(HoldOutput(hold).data, status=status.HTTP_201_CREATED)


class HoldDetailApi(APIView):
    @extend_schema(responses={204: None, 404: OpenApiResponse(description="Unknown hold")})
    def delete(self, request, hold_id: int):
        hold = get_object_or_404(Hold, pk=hold_id)
        hold_release(hold=hold)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvailabilityApi(APIView):
    @extend_schema(parameters=[AvailabilityQuery], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        query = AvailabilityQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        answer = availability_for_day(
            restaurant=q["restaurant"], day=q["date"], party_size=q["party_size"],
            accessible=q["accessible"], include_holds=q["include_holds"],
        )
        answer["as_of"] = _iso(answer["as_of"])
        answer["slots"] = [
            {
                "start_at": s["start_at"],
                "end_at": s["end_at"],
                "plans": s["plans"],
                "free_tables": len(s["free_tables"]),
                "largest_party": s["largest_party"],
                "version": s["version"],
                "as_of": _iso(s["as_of"]),
            }
            for s in answer["slots"]
        ]
        return Response(answer)


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode()


class AvailabilityStreamApi(APIView):
    """Server-Sent Events: one `availability` event per change of the restaurant's floor (with the new
    restaurant-day versions), heartbeats, and an end after max_seconds."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(parameters=[StreamQuery], responses={(200, "text/event-stream"): OpenApiTypes.STR})
    def get(self, request):
        query = StreamQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        restaurant = q["restaurant"]
        stream = AvailabilityEventStream(
            restaurant_id=restaurant.pk, slug=restaurant.slug, heartbeat=q["heartbeat"], max_seconds=q["max_seconds"]
        )
        response = StreamingHttpResponse(stream, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
