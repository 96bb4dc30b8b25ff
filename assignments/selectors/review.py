"""What ops staff read in the manual-review queue and on the assign form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from assignments.context import AssignmentContext, assignment_context, engine_for
from assignments.engine import Plan
from assignments.models import Booking, BookingAssignmentAttempt, BookingState, BookingStateHistory

ASSIGNABLE_STATES = (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING)


def stuck_pending_cutoff(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=settings.MAITRE["STUCK_PENDING_SECONDS"])


def review_queue_annotate(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    """Adds `state_since` (when the booking entered its state), `review_reason` (why it was sent to review)
    and the last attempt's strategy, result and reason, as subqueries (no N+1)."""
    history = BookingStateHistory.objects.filter(booking=OuterRef("pk"))
    attempts = BookingAssignmentAttempt.objects.filter(booking=OuterRef("pk")).order_by("-attempt_no", "-id")
    return qs.annotate(
        state_since=Subquery(history.order_by("-version").values("created_at")[:1]),
        review_reason=Subquery(
            history.filter(transition="send_to_review")
            .order_by("-version")
            .annotate(reason=KeyTextTransform("reason", "metadata"))
            .values("reason")[:1]
        ),
        last_attempt_strategy=Subquery(attempts.values("strategy")[:1]),
        last_attempt_result=Subquery(attempts.values("result")[:1]),
        last_attempt_reason=Subquery(attempts.values("reason")[:1]),
    )


def review_queue(*, now: datetime | None = None, qs: QuerySet[Booking] | None = None) -> QuerySet[Booking]:
    """Bookings a person must decide: in manual_review, or in assignment_pending for longer than
    MAITRE["STUCK_PENDING_SECONDS"]. Soonest first."""
    qs = review_queue_annotate(qs if qs is not None else Booking.objects.all())
    cutoff = stuck_pending_cutoff(now=now)
    return (
        qs.filter(
            Q(state=BookingState.MANUAL_REVIEW)
            | Q(state=BookingState.ASSIGNMENT_PENDING, state_since__lt=cutoff)
        )
        .select_related("restaurant", "preferred_zone")
        .order_by("start_at", "id")
    )


@dataclass(frozen=True)
class TableAtTime:
    """One table of the floor as seen from one booking's window."""

    label: str
    zone: str
    zone_name: str
    min_covers: int
    max_covers: int
    combinable: bool
    accessible: bool
    free: bool
    seats_party_alone: bool  # free, and fits the party on its own (covers, accessibility)
    taken_by: str = ""  # refs of what holds it over the window, when not free


@dataclass(frozen=True)
class AssignOptions:
    context: AssignmentContext
    plans: tuple[Plan, ...]  # the engine's feasible plans, best first
    tables: tuple[TableAtTime, ...]  # every active table, by zone priority then label

    @property
    def free_tables(self) -> tuple[TableAtTime, ...]:
        return tuple(t for t in self.tables if t.free)


def ref_label(ref: str) -> str:
    """An occupancy ref ("b12", "h3") in words."""
    return f"booking #{ref[1:]}" if ref.startswith("b") else f"hold #{ref[1:]}"


def _tables_at_time(ctx: AssignmentContext) -> tuple[TableAtTime, ...]:
    floor, req, occ = ctx.floor, ctx.request, ctx.occupancy
    singles = {c.tables[0]: c for c in floor.candidates if c.size == 1}
    rows = []
    for label, table in ctx.tables_by_label.items():
        free = occ.is_free(label, req.start, req.end)
        taken = ""
        if not free:
            taken = ", ".join(
                ref_label(ref) for ref in sorted({r for s, e, r in occ.intervals(label) if s < req.end and e > req.start})
            )
        single = singles.get(label)
        rows.append(
            TableAtTime(
                label=label, zone=table.zone.key, zone_name=table.zone.name, min_covers=table.min_covers,
                max_covers=table.max_covers, combinable=table.combinable, accessible=table.accessible, free=free,
                seats_party_alone=bool(free and single and single.fits(req.party_size, req.accessible)),
                taken_by=taken,
            )
        )
    rank = floor.zone_rank
    rows.sort(key=lambda t: (rank.get(t.zone, 0), t.label))
    return tuple(rows)


def booking_assign_options(*, booking_id: int) -> AssignOptions:
    """The engine's ranked plans for the booking right now, and every table's state over its window."""
    ctx = assignment_context(booking_id=booking_id)
    engine = engine_for(restaurant=ctx.restaurant, floor=ctx.floor)
    decision = engine.decide(ctx.request, ctx.occupancy)
    return AssignOptions(context=ctx, plans=decision.plans, tables=_tables_at_time(ctx))


def booking_tables_at_time(*, booking_id: int) -> tuple[TableAtTime, ...]:
    return _tables_at_time(assignment_context(booking_id=booking_id))
