"""The day's timeline for one restaurant, read: tables, allocations (bookings, holds, blocks) and the bookings
still waiting, in a fixed number of queries, turned into plain entries for the pure layout
(assignments.presentation.timeline), which draws them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as timezone_of

from django.db.models import Q
from django.utils import timezone

from assignments.context import DAY_SPAN, elapsed_minutes, elapsed_moment, wall_to_elapsed
from assignments.models import Booking, BookingState, Restaurant, Table, TableAllocation
from assignments.presentation.timeline import (
    ROW_HEIGHT,
    STATE_MARKS,
    TOUCH_ROW_HEIGHT,
    TimelineEntry,
    TimelineLayout,
    TimelineTable,
    timeline_layout,
    timeline_range,
)
from assignments.schedules import DaySchedule
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.templatetags.maitre_admin import state_label

WAITING_STATES = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW)


# -- the query side -------------------------------------------------------------------------------------
@dataclass
class WaitingBooking:
    booking: Booking
    start_label: str
    end_label: str


@dataclass
class DayTimeline:
    restaurant: Restaurant
    day: date
    layout: TimelineLayout
    waiting: list[WaitingBooking] = field(default_factory=list)
    focus_booking: Booking | None = None
    free_for_focus: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    schedule: DaySchedule | None = None
    clock_note: str = ""

    @property
    def schedule_text(self) -> str:
        """The day's services as a host reads them, or why it is closed."""
        s = self.schedule
        if s is None:
            return ""
        if s.closed:
            return s.closed_reason[:1].upper() + s.closed_reason[1:]
        parts = []
        for svc in s.services:
            text = svc.span
            limits = svc.pacing
            paced = [
                f"{v} {what}"
                for v, what in (
                    (limits.covers_per_slot, "covers/slot"),
                    (limits.bookings_per_slot, "bookings/slot"),
                    (limits.covers_per_service, "covers/service"),
                )
                if v
            ]
            parts.append(text + (f" (pacing {', '.join(paced)})" if paced else ""))
        lead = {"exception": "Special hours", "weekly": "Weekly hours"}.get(s.source, "Hours")
        return f"{lead}: " + "; ".join(parts) + (f" · {s.note}" if s.note else "")


def _wall_time_twice(local: datetime) -> bool:
    """Whether the wall clock shows this local time twice that night (the hour the clocks go back through)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def clock_change_note(restaurant: Restaurant, day: date, within: tuple[int, int] | None = None) -> str:
    """What a host needs to know when the clocks change during the service day (`within` those elapsed minutes of
    it, the hours drawn), in one line; "" on other days."""
    tz = restaurant.tzinfo
    first = restaurant.local_midnight(day).astimezone(UTC)
    lo, hi = within or (0, DAY_SPAN // timedelta(minutes=1))
    before = (first + timedelta(minutes=lo)).astimezone(tz).utcoffset() or timedelta(0)
    for minute in range(lo + 15 - lo % 15, hi + 1, 15):
        moment = first + timedelta(minutes=minute)
        local = moment.astimezone(tz)
        after = local.utcoffset() or timedelta(0)
        if after == before:
            continue
        old = moment.astimezone(timezone_of(before))  # the wall clock had it not changed
        was = (moment - timedelta(minutes=1)).astimezone(tz).tzname()
        if after < before:
            what = f"the hour from {local:%H:%M} to {old:%H:%M} comes twice"
            way = "back"
        else:
            what = f"the hour from {old:%H:%M} to {local:%H:%M} does not happen"
            way = "forward"
        return (
            f"The clocks go {way} tonight: {old:%H:%M} {was} becomes {local:%H:%M} {local.tzname()}, so {what}. "
            "Bookings are drawn in real time."
        )
    return ""


def _booking_ref(b_id: int, external_ref: str | None) -> str:
    return external_ref or f"#{b_id}"


def restaurant_day_timeline(
    *,
    restaurant: Restaurant,
    day: date,
    focus_booking_id: int | None = None,
    now: datetime | None = None,
    whole_day: bool = False,
    now_line: datetime | None = None,
    all_waiting: bool = False,
    touch: bool = False,
) -> DayTimeline:
    """Tables, the day's allocations (bookings, table blocks and live holds) and the bookings still without
    tables (drawn in the waiting lane at their time), in four queries; plus, for a focus booking still waiting,
    which tables are free over its window. The range is the service periods unless `whole_day`; `touch` draws
    rows tall enough for a finger (a tablet at the host stand)."""
    now = now or timezone.now()
    tz = restaurant.tzinfo
    midnight = restaurant.local_midnight(day)

    # Drawn in real time (the occupancy's elapsed minutes), labelled by the wall clock: the same on every day but
    # the two nights a year the clocks change, where a bar keeps its real length and the hours read as they did.
    def minute(moment: datetime) -> int:
        return elapsed_minutes(restaurant, day, moment)

    def clock(m: int) -> str:
        moment = elapsed_moment(restaurant, day, m).astimezone(tz)
        return f"{moment:%H:%M %Z}" if _wall_time_twice(moment) else f"{moment:%H:%M}"

    # A confirmed party not seated this long after its start is late: the host looks for it (or marks a no-show).
    late_from = (now_line or now) - timedelta(minutes=restaurant.late_tolerance_minutes)
    table_rows = list(Table.objects.filter(restaurant=restaurant, active=True).select_related("zone"))
    tables = [
        TimelineTable(
            label=t.label,
            zone=t.zone.key,
            zone_name=t.zone.name,
            max_covers=t.max_covers,
            accessible=t.accessible,
        )
        for t in table_rows
    ]
    zone_prio = {t.zone.key: t.zone.priority for t in table_rows}
    zone_order = sorted(zone_prio, key=lambda z: (zone_prio[z], z))

    rows = (
        TableAllocation.objects.filter(
            restaurant=restaurant, start_at__lt=midnight + DAY_SPAN, end_at__gt=midnight
        )
        .filter(Q(hold__isnull=True) | Q(hold__expires_at__gt=now))
        .values(
            "table__label",
            "start_at",
            "end_at",
            "booking_id",
            "hold_id",
            "booking__state",
            "booking__external_ref",
            "booking__party_size",
            "booking__guest_name",
            "booking__end_at",
            "hold__party_size",
            "hold__expires_at",
            "hold__booking_id",
            "booking__version",
            "block_id",
            "block__reason",
            "booking__left_at",
            "booking__start_at",
        )
    )
    entries = []
    counts: dict[str, set[int]] = {"bookings": set(), "holds": set()}
    for r in rows:
        start, end = minute(r["start_at"]), minute(r["end_at"])
        if r["booking_id"]:
            counts["bookings"].add(r["booking_id"])
            ref = _booking_ref(r["booking_id"], r["booking__external_ref"])
            left = r["booking__left_at"]
            seated_end = min(minute(left or r["booking__end_at"]), end)
            guest = f" · {r['booking__guest_name']}" if r["booking__guest_name"] else ""
            mark = STATE_MARKS.get(r["booking__state"])
            if r["booking__state"] == BookingState.CONFIRMED and r["booking__start_at"] < late_from:
                mark = "late"
            entries.append(
                TimelineEntry(
                    table=r["table__label"],
                    start=start,
                    end=end,
                    seated_end=seated_end,
                    kind="booking",
                    ref=f"b{r['booking_id']}",
                    label=f"{ref} · {r['booking__party_size']}p" + (f" · {mark}" if mark else ""),
                    title=(
                        f"{ref}{guest} · {r['booking__party_size']} covers · {clock(start)}–{clock(seated_end)}"
                        f" (+buffer to {clock(end)}) · {state_label(r['booking__state'])}"
                        + (" · not here yet" if mark == "late" else "")
                    ),
                    state=r["booking__state"],
                    booking_id=r["booking_id"],
                    covers=r["booking__party_size"],
                    version=r["booking__version"],
                )
            )
        elif r["block_id"]:
            entries.append(
                TimelineEntry(
                    table=r["table__label"],
                    start=start,
                    end=end,
                    seated_end=end,
                    kind="block",
                    ref=f"k{r['block_id']}",
                    label=f"blocked: {r['block__reason']}",
                    title=f"Blocked {clock(start)}–{clock(end)}: {r['block__reason']}",
                    block_id=r["block_id"],
                )
            )
        else:
            counts["holds"].add(r["hold_id"])
            party = f" · {r['hold__party_size']}p" if r["hold__party_size"] else ""
            entries.append(
                TimelineEntry(
                    table=r["table__label"],
                    start=start,
                    end=end,
                    seated_end=end,
                    kind="hold",
                    ref=f"h{r['hold_id']}",
                    label=f"hold {r['hold_id']}{party}",
                    title=(
                        f"Hold #{r['hold_id']}{party} · {clock(start)}–{clock(end)} · expires "
                        f"{r['hold__expires_at'].astimezone(tz):%H:%M:%S}"
                    ),
                    booking_id=r["hold__booking_id"],
                )
            )

    allocated = counts["bookings"]
    waiting_qs = (
        Booking.objects.filter(
            restaurant=restaurant,
            state__in=WAITING_STATES,
            start_at__lt=midnight + DAY_SPAN,
            start_at__gte=midnight,
        )
        .select_related("preferred_zone")
        .order_by("start_at", "id")
    )
    waiting = [
        WaitingBooking(
            booking=b,
            start_label=f"{b.start_at.astimezone(tz):%H:%M}",
            end_label=f"{b.end_at.astimezone(tz):%H:%M}",
        )
        for b in waiting_qs
        if b.pk not in allocated and restaurant.service_day_of(b.start_at) == day
    ]

    focus_booking = None
    focus = None
    free: tuple[str, ...] = ()
    if focus_booking_id is not None:
        focus_booking = Booking.objects.filter(pk=focus_booking_id, restaurant=restaurant).first()
    if focus_booking is not None and restaurant.service_day_of(focus_booking.start_at) == day:
        _start, end_with_buffer = restaurant.occupied_window(focus_booking.start_at, focus_booking.end_at)
        focus = (minute(focus_booking.start_at), minute(end_with_buffer))
        if focus_booking.state in WAITING_STATES:
            from assignments.selectors.review import booking_tables_at_time

            free = tuple(t.label for t in booking_tables_at_time(booking_id=focus_booking.pk) if t.free)

    buffer = restaurant.buffer_minutes
    lane = []
    for w in waiting:
        b = w.booking
        b_start, b_end = minute(b.start_at), minute(b.end_at)
        ref = _booking_ref(b.pk, b.external_ref)
        lane.append(
            TimelineEntry(
                table="",
                start=b_start,
                end=b_end + buffer,
                seated_end=b_end,
                kind="waiting",
                ref=f"b{b.pk}",
                label=f"{ref} · {b.party_size}p",
                state=b.state,
                booking_id=b.pk,
                covers=b.party_size,
                version=b.version,
                title=(
                    f"{ref}{' · ' + b.guest_name if b.guest_name else ''} · {b.party_size} covers · {clock(b_start)}–"
                    f"{clock(b_end)} · {state_label(b.state)}{' · ♿' if b.needs_accessible else ''}"
                ),
            )
        )
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    spans = [
        (wall_to_elapsed(restaurant, day, x.start), wall_to_elapsed(restaurant, day, x.end))
        for x in schedule.services
    ]
    lo, hi = timeline_range(
        spans=spans,
        service_periods=() if spans else restaurant.service_periods,
        entries=[*entries, *lane],
        whole_day=whole_day,
    )
    now_minute = minute(now_line or now)  # holds expire by the real clock, `now`
    layout = timeline_layout(
        tables=tables,
        entries=entries,
        start=lo,
        end=hi,
        zone_order=zone_order,
        focus=focus,
        focus_ref=f"b{focus_booking.pk}" if focus_booking else "",
        free_for_focus=frozenset(free),
        now_minute=now_minute,
        waiting=lane,
        max_waiting_lanes=None if all_waiting else 6,
        clock=clock,
        row_height=TOUCH_ROW_HEIGHT if touch else ROW_HEIGHT,
    )
    return DayTimeline(
        restaurant=restaurant,
        day=day,
        layout=layout,
        waiting=waiting,
        focus_booking=focus_booking,
        free_for_focus=free,
        counts={"bookings": len(allocated), "holds": len(counts["holds"])},
        schedule=schedule,
        clock_note=clock_change_note(restaurant, day, within=(lo, hi)),
    )
