"""What ops staff read in the manual-review queue and on the assign form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from assignments.conf import maitre_settings
from assignments.context import AssignmentContext, assignment_context, engine_for
from assignments.engine import Plan, Request
from assignments.engine.reasons import explain_no_plan
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    Restaurant,
    TableAllocation,
    TableBlock,
)

ASSIGNABLE_STATES = (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING)


@dataclass(frozen=True)
class BookingActions:
    """What a person may do to a booking now. `assign` seats it by hand (the `confirm` transition), `retry` sends
    it back to automatic assignment, `cancel` cancels it; a host's `seat`, `complete` and `no_show` (the last
    only once the booking has started)."""

    assign: bool
    retry: bool
    cancel: bool
    seat: bool = False
    complete: bool = False
    no_show: bool = False


def booking_actions(*, booking: Booking, now: datetime | None = None) -> BookingActions:
    """Asks the state machine (django-fsm's available transitions), so a new state or transition changes the
    console's buttons without a second copy of the graph here. A retry of a booking already waiting for the
    assigner is no transition (it is made due now); from `confirmed` request_assignment is a modification's,
    never a retry's."""
    allowed = {t.name for t in booking.get_available_state_transitions()}  # type: ignore[attr-defined]  # made by django-fsm
    waiting = booking.state == BookingState.ASSIGNMENT_PENDING
    return BookingActions(
        assign="confirm" in allowed,
        retry=waiting or ("request_assignment" in allowed and booking.state != BookingState.CONFIRMED),
        cancel="cancel" in allowed,
        seat="seat" in allowed,
        complete="complete" in allowed,
        no_show="mark_no_show" in allowed
        and booking.start_at is not None
        and (now or timezone.now()) >= booking.start_at,
    )


def stuck_pending_cutoff(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(seconds=maitre_settings.STUCK_PENDING_SECONDS)


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
class Clash:
    """What takes a table over a window: a booking (by its reference), a hold or a table block."""

    table: str
    kind: str  # "booking" | "hold" | "block"
    pk: int
    label: str  # "B0023 (2p 19:00-20:30)", "hold #3", "block: private event 18:00-23:00"

    @property
    def text(self) -> str:
        if self.kind == "block":
            return f"{self.table} is blocked ({self.label})"
        return f"{self.table} is taken by {self.label}"


def clashes_for(*, restaurant: Restaurant, refs_by_table: dict[str, list[str]]) -> list[Clash]:
    """Occupancy refs per table as clashes named for a person: two queries at most, whatever the count."""
    tz = restaurant.tzinfo
    booking_ids = {int(r[1:]) for refs in refs_by_table.values() for r in refs if r.startswith("b")}
    block_ids = {int(r[1:]) for refs in refs_by_table.values() for r in refs if r.startswith("k")}
    bookings = {b.pk: b for b in Booking.objects.filter(pk__in=booking_ids)} if booking_ids else {}
    blocks = {k.pk: k for k in TableBlock.objects.filter(pk__in=block_ids)} if block_ids else {}
    out = []
    for table in sorted(refs_by_table):
        for ref in sorted(set(refs_by_table[table])):
            pk = int(ref[1:])
            if ref.startswith("b") and pk in bookings:
                b = bookings[pk]
                label = (
                    f"{b.external_ref or f'#{b.pk}'} ({b.party_size}p {b.start_at.astimezone(tz):%H:%M}-"
                    f"{b.end_at.astimezone(tz):%H:%M})"
                )
                out.append(Clash(table=table, kind="booking", pk=pk, label=label))
            elif ref.startswith("k") and pk in blocks:
                k = blocks[pk]
                label = f"{k.reason} {k.start_at.astimezone(tz):%H:%M}-{k.end_at.astimezone(tz):%H:%M}"
                out.append(Clash(table=table, kind="block", pk=pk, label=label))
            else:
                out.append(
                    Clash(
                        table=table,
                        kind="hold" if ref.startswith("h") else "booking",
                        pk=pk,
                        label=ref_label(ref),
                    )
                )
    return out


def clashes_over(
    *,
    restaurant: Restaurant,
    table_labels,
    start_at: datetime,
    end_at: datetime,
    exclude_booking_id: int | None = None,
) -> list[Clash]:
    """Every live allocation on these tables overlapping [start_at, end_at), as clashes (expired holds ignored)."""
    rows = (
        TableAllocation.objects.filter(
            restaurant=restaurant,
            table__label__in=list(table_labels),
            start_at__lt=end_at,
            end_at__gt=start_at,
        )
        .filter(Q(hold__isnull=True) | Q(hold__expires_at__gt=timezone.now()))
        .values_list("table__label", "booking_id", "hold_id", "block_id")
    )
    refs: dict[str, list[str]] = {}
    for label, booking_id, hold_id, block_id in rows:
        if exclude_booking_id is not None and booking_id == exclude_booking_id:
            continue
        ref = f"b{booking_id}" if booking_id else f"h{hold_id}" if hold_id else f"k{block_id}"
        refs.setdefault(label, []).append(ref)
    return clashes_for(restaurant=restaurant, refs_by_table=refs)


def clashes_text(clashes: list[Clash]) -> str:
    return "; ".join(c.text for c in clashes)


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
    taken_by: str = ""  # what holds it over the window, when not free
    clashes: tuple[Clash, ...] = ()


@dataclass(frozen=True)
class AssignOptions:
    context: AssignmentContext
    plans: tuple[Plan, ...]  # the engine's feasible plans, best first
    tables: tuple[TableAtTime, ...]  # every active table, by zone priority then label

    @property
    def free_tables(self) -> tuple[TableAtTime, ...]:
        return tuple(t for t in self.tables if t.free)


def ref_label(ref: str) -> str:
    """An occupancy ref ("b12", "h3", "k4") in words, without a query (see clashes_for for references)."""
    kind = {"b": "booking", "h": "hold", "k": "block"}.get(ref[:1], "allocation")
    return f"{kind} #{ref[1:]}"


def _tables_at_time(ctx: AssignmentContext) -> tuple[TableAtTime, ...]:
    floor, req, occ = ctx.floor, ctx.request, ctx.occupancy
    singles = {c.tables[0]: c for c in floor.candidates if c.size == 1}
    refs = {
        label: sorted({r for s, e, r in occ.intervals(label) if s < req.end and e > req.start})
        for label in ctx.tables_by_label
        if not occ.is_free(label, req.start, req.end)
    }
    by_table: dict[str, list[Clash]] = {}
    for clash in clashes_for(restaurant=ctx.restaurant, refs_by_table=refs):
        by_table.setdefault(clash.table, []).append(clash)
    rows = []
    for label, table in ctx.tables_by_label.items():
        free = label not in refs
        taken = ", ".join(c.label for c in by_table.get(label, ()))
        single = singles.get(label)
        rows.append(
            TableAtTime(
                label=label,
                zone=table.zone.key,
                zone_name=table.zone.name,
                min_covers=table.min_covers,
                max_covers=table.max_covers,
                combinable=table.combinable,
                accessible=table.accessible,
                free=free,
                seats_party_alone=bool(free and single and single.fits(req.party_size, req.accessible)),
                taken_by=taken,
                clashes=tuple(by_table.get(label, ())),
            )
        )
    rank = floor.zone_rank
    rows.sort(key=lambda t: (rank.get(t.zone, 0), t.label))
    return tuple(rows)


def booking_assign_options(*, booking_id: int) -> AssignOptions:
    """The engine's ranked plans for the booking right now, and every table's state over its window."""
    ctx = assignment_context(booking_id=booking_id)
    engine = engine_for(restaurant=ctx.restaurant, floor=ctx.floor, day=ctx.day)
    decision = engine.decide(ctx.request, ctx.occupancy)
    return AssignOptions(context=ctx, plans=decision.plans, tables=_tables_at_time(ctx))


def booking_tables_at_time(*, booking_id: int) -> tuple[TableAtTime, ...]:
    return _tables_at_time(assignment_context(booking_id=booking_id))


def booking_reason_now(*, ctx: AssignmentContext) -> str:
    """Why the booking is not seated right now, in one line: the day is closed or the booking is outside its
    hours (changed since it was made), or why the engine finds no plan for it over its window."""
    from assignments.selectors.schedule import restaurant_day_schedule

    schedule = restaurant_day_schedule(restaurant=ctx.restaurant, day=ctx.day)
    outside = schedule.outside_reason(ctx.restaurant.minute_of_day(ctx.booking.start_at, ctx.day))
    if outside is not None:
        return outside
    return explain_no_plan(ctx.floor, ctx.request, ctx.occupancy)


@dataclass(frozen=True)
class TimeOption:
    """Another start time at which the party fits, with the engine's best plan then."""

    start_at: datetime
    delta_minutes: int
    tables: tuple[str, ...]

    def label(self, tz) -> str:
        return f"{self.start_at.astimezone(tz):%H:%M} fits on {'+'.join(self.tables)}"


def booking_nearest_times(
    *, ctx: AssignmentContext, span_minutes: int = 120, limit: int = 4, now: datetime | None = None
) -> tuple[TimeOption, ...]:
    """The nearest start times within +-span (on the restaurant's slot grid, inside its service periods) at
    which the engine has a plan for the party, nearest first (earlier first on a tie). No writes."""
    restaurant, req = ctx.restaurant, ctx.request
    engine = engine_for(restaurant=restaurant, floor=ctx.floor, day=ctx.day)
    step = max(restaurant.slot_minutes, 5)
    base = ctx.booking.start_at
    now = now or timezone.now()
    found: list[TimeOption] = []
    for k in range(1, span_minutes // step + 1):
        for delta in (-k * step, k * step):
            start_at = base + timedelta(minutes=delta)
            if start_at <= now or not restaurant.is_open_at(start_at):
                continue
            shifted = Request(
                req.booking_id,
                req.party_size,
                req.start + delta,
                req.end + delta,
                req.preferred_zone,
                req.accessible,
            )
            best = engine.decide(shifted, ctx.occupancy).best
            if best is not None:
                found.append(TimeOption(start_at=start_at, delta_minutes=delta, tables=best.tables))
        if len(found) >= limit:
            break
    return tuple(found[:limit])


# -- the queue: services, day windows, reasons for a page of rows ----------------------------------------
def service_label(booking: Booking) -> tuple[tuple, str]:
    """(sort key, "Sat 05 Dec · dinner") of the service a booking belongs to, in its restaurant's time (that
    day's schedule)."""
    from assignments.selectors.schedule import restaurant_day_schedule

    restaurant = booking.restaurant
    day = restaurant.service_day_of(booking.start_at)
    minute = restaurant.minute_of_day(booking.start_at, day)
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    if schedule.closed:  # closed after the booking was made
        return (day, restaurant.name, ""), f"{day:%a %d %b} · closed"
    service = schedule.service_around(minute)
    name = service.name if service is not None else ""
    return (day, restaurant.name, name), f"{day:%a %d %b} · {name or 'outside service hours'}"


def review_service_counts(*, qs: QuerySet[Booking], with_restaurant: bool) -> list[list]:
    """[label, bookings] per service of the queue's whole selection (not only the page shown), soonest first;
    the label names the restaurant too when the user sees more than one."""
    counts: dict[tuple, list] = {}
    for booking in Booking.objects.filter(pk__in=qs.values("pk")).select_related("restaurant"):
        key, label = service_label(booking)
        entry = counts.setdefault(
            key, [f"{booking.restaurant.name} · {label}" if with_restaurant else label, 0]
        )
        entry[1] += 1
    return [v for _k, v in sorted(counts.items())]


def service_day_bounds(*, restaurant: Restaurant, first: date, days: int) -> tuple[datetime, datetime]:
    """[start, end) of `days` service days from `first`: a service day runs from its earliest period's
    start to the same time the next day (so a period past midnight stays with its evening)."""
    from assignments.selectors.schedule import restaurant_day_schedule

    opens = restaurant_day_schedule(restaurant=restaurant, day=first).opens
    if opens is None:
        opens = min((p.start_minute for p in restaurant.periods), default=0)
    start = restaurant.local_midnight(first) + timedelta(minutes=opens)
    end = restaurant.local_midnight(first + timedelta(days=days)) + timedelta(minutes=opens)
    return start, end


def review_reasons(*, bookings) -> dict[int, str]:
    """The live one-line reason for each booking: one allocations query per restaurant and service day (and
    one more when that day sets pacing: a booking that pacing holds back says so); a closed day, or a start
    outside the day's hours changed since, says so."""
    from assignments.context import floor_state, occupancy_for_day, request_for
    from assignments.selectors.pacing import day_pacing_ledger
    from assignments.selectors.schedule import restaurant_day_schedule

    groups: dict[tuple[int, date], list[Booking]] = {}
    for b in bookings:
        groups.setdefault((b.restaurant_id, b.restaurant.service_day_of(b.start_at)), []).append(b)
    out: dict[int, str] = {}
    for (_rid, day), rows in groups.items():
        restaurant = rows[0].restaurant
        schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
        if (
            schedule.closed
        ):  # closed since they were made (or a time zone change moved them here): no table will do
            out.update(
                (b.pk, schedule.outside_reason(0, moved_by=restaurant.zone_moved(b.created_at)) or "")
                for b in rows
            )
            continue
        fs = floor_state(restaurant=restaurant)
        occupancy, alloc_rows = occupancy_for_day(restaurant=restaurant, day=day, floor=fs.floor)
        pacing = day_pacing_ledger(restaurant=restaurant, day=day, alloc_rows=alloc_rows)
        for b in rows:
            outside = schedule.outside_reason(
                restaurant.minute_of_day(b.start_at, day), moved_by=restaurant.zone_moved(b.created_at)
            )
            if outside is not None:  # outside hours changed since it was made: no table will do
                out[b.pk] = outside
                continue
            occ = occupancy
            own = [r for r in occ.refs() if r == f"b{b.pk}"]
            if own:
                occ = occ.copy()
                occ.remove(own[0])
            request = request_for(booking=b, restaurant=restaurant, day=day)
            if pacing is not None:
                own_entry = pacing.remove(f"b{b.pk}")
                paced = pacing.refusal(request.start, b.party_size)
                if own_entry is not None:
                    pacing.add(f"b{b.pk}", *own_entry)
                if paced is not None:
                    out[b.pk] = paced
                    continue
            out[b.pk] = explain_no_plan(fs.floor, request, occ)
    return out


def booking_attempts_by_try(*, booking: Booking) -> list[dict]:
    """The booking's attempts grouped by try (attempt_no), newest first: each with its result and rows."""
    tries: dict[int, list[BookingAssignmentAttempt]] = {}
    for a in BookingAssignmentAttempt.objects.filter(booking=booking).order_by("-attempt_no", "id"):
        tries.setdefault(a.attempt_no, []).append(a)
    out = []
    for no, rows in tries.items():
        won = next((a for a in rows if a.result == "success"), None)
        out.append(
            {
                "no": no,
                "rows": rows,
                "at": rows[0].created_at,
                "success": won,
                "summary": won.reason if won else (rows[-1].reason or rows[-1].result),
            }
        )
    return out


@dataclass(frozen=True)
class ReseatMove:
    booking: Booking
    old_tables: tuple[str, ...]
    new_tables: tuple[str, ...]


@dataclass(frozen=True)
class ReseatOffer:
    """The fewest moves that seat a booking, in start order, and the signature the host confirms with."""

    moves: list[ReseatMove]
    tables: tuple[str, ...]
    signature: str


def booking_reseat_offer(*, booking: Booking, now: datetime | None = None) -> ReseatOffer | None:
    """The re-seater's proposal for `booking` with the moved bookings loaded (no writes), or None."""
    from assignments.reseating import reseat_compute

    plan = reseat_compute(booking=booking, now=now)
    if plan is None:
        return None
    moved = {str(b.pk): b for b in Booking.objects.filter(pk__in=[int(k) for k in plan.moves])}
    moves = [
        ReseatMove(booking=moved[bid], old_tables=tuple(old), new_tables=tuple(new))
        for bid, (old, new) in sorted(plan.moves.items(), key=lambda kv: moved[kv[0]].start_at)
    ]
    signature = json.dumps({bid: list(new) for bid, (_old, new) in plan.moves.items()}, sort_keys=True)
    return ReseatOffer(moves=moves, tables=tuple(plan.tables), signature=signature)


@dataclass(frozen=True)
class TonightLine:
    restaurant_id: int
    name: str
    day: date
    waiting: int  # in review, or waiting for the assigner longer than it should
    confirmed: int


def tonight_overview(*, restaurants: QuerySet, now: datetime | None = None) -> list[TonightLine]:
    """For the console's home page: each restaurant's current service day (in its own zone), with how many of its
    bookings wait for a person and how many are confirmed. Five queries whatever the number of restaurants (the
    restaurants, their hours in two, and the two counts), fewer while their hours are cached."""
    from assignments.selectors.schedule import schedule_rows_prefetch

    now = now or timezone.now()
    shown = list(restaurants.order_by("name")[:50])
    schedule_rows_prefetch(restaurants=shown)
    days = {r.pk: (r.name, r.service_day_of(now)) for r in shown}
    if not days:
        return []
    today = Q()
    for pk, (_name, day) in days.items():
        today |= Q(restaurant_id=pk, service_date=day)
    waiting = dict(
        review_queue(now=now, qs=Booking.objects.filter(today))
        .order_by()
        .values("restaurant_id")
        .annotate(n=Count("id"))
        .values_list("restaurant_id", "n")
    )
    confirmed = dict(
        Booking.objects.filter(today, state=BookingState.CONFIRMED)
        .order_by()
        .values("restaurant_id")
        .annotate(n=Count("id"))
        .values_list("restaurant_id", "n")
    )
    return [
        TonightLine(pk, name, day, waiting.get(pk, 0), confirmed.get(pk, 0))
        for pk, (name, day) in days.items()
    ]
