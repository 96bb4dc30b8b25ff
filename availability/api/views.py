"""Thin views: validate, call one service or selector, shape the answer. Refusals answer through the API's one
exception handler (assignments.api.errors); a hold limit is mapped here, where the hold API lives."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.api.errors import error_responses
from availability.api.serializers import AvailabilityQuery, StreamQuery
from availability.api.stream_slots import stream_slot_release, stream_slot_take
from availability.selectors import availability_for_day
from availability.streams import AvailabilityEventStream


class TooManyStreams(exceptions.Throttled):
    default_code = "stream_limit_reached"
    default_detail = "Too many open streams; close one first."


def single_valued(query_params) -> dict:
    """The query as one value per name; a name given twice is a 400 rather than silently the last one."""
    repeated = {
        name: ["Give this parameter once."] for name, values in query_params.lists() if len(values) > 1
    }
    if repeated:
        raise exceptions.ValidationError(repeated)
    return query_params.dict()


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat() if epoch is not None else None


class AvailabilityApi(APIView):
    throttle_scope = "availability"

    @extend_schema(
        parameters=[AvailabilityQuery], responses={200: OpenApiTypes.OBJECT, **error_responses(400)}
    )
    def get(self, request):
        query = AvailabilityQuery(data=single_valued(request.query_params), context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        answer = availability_for_day(
            restaurant=q["restaurant"],
            day=q["date"],
            party_size=q["party_size"],
            accessible=q["accessible"],
            include_holds=q["include_holds"],
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


class SseEvent(serializers.Serializer):
    """One Server-Sent Event: `ready` first, then `availability` per change (data: JSON with the restaurant-day
    versions), heartbeats as comments, and `end` after max_seconds."""

    event = serializers.ChoiceField(choices=["ready", "availability", "end"], required=False)
    data = serializers.CharField(required=False, help_text="JSON.")
    id = serializers.CharField(required=False)
    retry = serializers.IntegerField(required=False)


class AvailabilityStreamApi(APIView):
    """Server-Sent Events: one `availability` event per change of the restaurant's floor (with the new
    restaurant-day versions), heartbeats, and an end after max_seconds."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]
    throttle_scope = "stream"

    @extend_schema(
        parameters=[StreamQuery],
        responses={
            (200, "text/event-stream"): SseEvent,
            **{(code, "application/json"): r for code, r in error_responses(400).items()},
        },
        description="At most MAITRE_STREAMS_MAX_PER_CLIENT open streams per client (429 beyond).",
    )
    def get(self, request):
        query = StreamQuery(data=single_valued(request.query_params), context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        restaurant = q["restaurant"]
        if not stream_slot_take(user_id=request.user.pk):
            raise TooManyStreams(wait=q["max_seconds"])
        try:
            stream = ClientEventStream(
                restaurant_id=restaurant.pk,
                slug=restaurant.slug,
                heartbeat=q["heartbeat"],
                max_seconds=q["max_seconds"],
                user_id=request.user.pk,
            )
        except Exception:
            stream_slot_release(user_id=request.user.pk)
            raise
        _give_back_database_connection()
        # Under ASGI (production's uvicorn workers) an async iterator: each event is sent as it happens and a
        # client that goes away cancels it. A synchronous one would be consumed whole before the first byte.
        content = stream.asynchronous() if _served_by_asgi(request) else stream
        response = StreamingHttpResponse(content, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


def _served_by_asgi(request) -> bool:
    return hasattr(request._request, "scope")  # ASGIRequest; WSGIRequest (and the test client's) has none


def _give_back_database_connection() -> None:
    """The stream needs no database: its connection goes back to the pool now, not when the stream ends
    minutes later (Django closes a request's connections at request_finished). Never inside a transaction."""
    if not connection.in_atomic_block:
        connection.close()


class ClientEventStream(AvailabilityEventStream):
    """The stream, holding one of its client's stream slots until it ends, the client goes away or Django
    closes the response, whichever comes first; the slot is given back once."""

    def __init__(self, *, user_id: int, **kwargs):
        self.user_id = user_id
        super().__init__(**kwargs)

    def _closed_once(self) -> None:
        try:
            super()._closed_once()
        finally:
            stream_slot_release(user_id=self.user_id)
