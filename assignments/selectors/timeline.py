"""The day's timeline for one restaurant: tables down the side (grouped by zone), time across, bars for
bookings and holds.

`restaurant_day_timeline` reads the day in a fixed number of queries; `timeline_layout` is pure (plain
data in, SVG geometry out), so the picture can be tested without a browser or a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from assignments.context import DAY_SPAN, to_minutes
from assignments.models import Booking, BookingState, Restaurant, Table, TableAllocation
from assignments.schedules import DaySchedule
from assignments.selectors.schedule import restaurant_day_schedule
from assignments.templatetags.maitre_admin import BLOCK_COLOUR, HOLD_COLOUR, state_colour, state_label

WAITING_STATES = (BookingState.PENDING, BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW)


# -- plain input ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineTable:
    label: str
    zone: str  # zone key
    zone_name: str
    max_covers: int
    accessible: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    """One allocation of one table: a booking's (with its state) or a hold's. Minutes from local midnight;
    `end` includes the buffer, `seated_end` does not (equal for holds)."""

    table: str
    start: int
    end: int
    seated_end: int
    kind: str  # "booking" | "hold" | "block" | "waiting" (a booking without tables, drawn in the waiting lane)
    ref: str  # "b12" / "h3" / "k4"
    label: str
    title: str
    state: str = ""
    booking_id: int | None = None
    covers: int = 0
    version: int = 0
    block_id: int | None = None


# -- geometry out ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    buffer_x: float
    buffer_width: float
    fill: str
    hatched: bool
    label: str
    title: str
    kind: str
    state: str
    booking_id: int | None
    focused: bool
    show_label: bool
    version: int = 0
    block_id: int | None = None
    ref: str = ""


@dataclass(frozen=True)
class Row:
    y: float
    height: float
    label: str
    caption: str
    zone: str
    free_for_focus: bool
    stripe: bool


@dataclass(frozen=True)
class ZoneBand:
    y: float
    height: float
    name: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    major: bool


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    label: str


@dataclass(frozen=True)
class TimelineLayout:
    width: float
    height: float
    label_width: float
    header_height: float
    rows: tuple[Row, ...]
    zones: tuple[ZoneBand, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    focus: Band | None
    start: int
    end: int
    now_x: float | None = None
    covers: tuple[tuple[float, int], ...] = ()  # (x of the slot's middle, covers seated then), per 30 minutes
    states: tuple[str, ...] = ()  # the booking states drawn (the legend shows only those)
    waiting_lanes: int = 0
    waiting_hidden: int = 0  # waiting bookings past the lane limit (the page offers to draw them all)


def _hhmm(minutes: int) -> str:
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def timeline_range(
    *, service_periods: Sequence[dict], entries: Sequence[TimelineEntry], whole_day: bool = True
) -> tuple[int, int]:
    """Whole hours covering the service periods, and with `whole_day` everything on the timeline too (a stray
    early hold must not push the dinner service off-screen by default)."""
    starts, ends = [], []
    for p in service_periods:
        sh, sm = map(int, p["start"].split(":"))
        eh, em = map(int, p["end"].split(":"))
        s, e = sh * 60 + sm, eh * 60 + em
        if e <= s:
            e += 24 * 60
        starts.append(s)
        ends.append(e)
    if whole_day or not starts:
        starts += [en.start for en in entries]
        ends += [en.end for en in entries]
    if not starts:
        return 17 * 60, 24 * 60
    lo, hi = min(starts), max(ends)
    lo = max(0, (lo // 60) * 60)
    hi = min(int(DAY_SPAN.total_seconds() // 60), -(-hi // 60) * 60)
    return lo, max(hi, lo + 60)


def timeline_layout(
    *,
    tables: Sequence[TimelineTable],
    entries: Sequence[TimelineEntry],
    start: int,
    end: int,
    zone_order: Sequence[str] = (),
    focus: tuple[int, int] | None = None,
    focus_ref: str = "",
    free_for_focus: frozenset[str] = frozenset(),
    now_minute: int | None = None,
    waiting: Sequence[TimelineEntry] = (),
    max_waiting_lanes: int | None = 6,
    minute_width: float = 2.4,
    row_height: float = 26.0,
    zone_height: float = 22.0,
    label_width: float = 150.0,
    header_height: float = 30.0,
) -> TimelineLayout:
    """Rows are tables grouped by zone (in `zone_order`, then by key), columns are minutes in [start, end)."""

    def x_of(minute: float) -> float:
        return label_width + (min(max(minute, start), end) - start) * minute_width

    order = {z: i for i, z in enumerate(zone_order)}
    by_zone: dict[str, list[TimelineTable]] = {}
    for t in sorted(tables, key=lambda t: (order.get(t.zone, len(order)), t.zone, t.label)):
        by_zone.setdefault(t.zone, []).append(t)

    rows: list[Row] = []
    zones: list[ZoneBand] = []
    row_y: dict[str, float] = {}
    y = header_height
    # The waiting lane: bookings without tables at their time, packed into as few lines as do not overlap.
    lanes: list[int] = []  # end minute of the last bar in each lane
    lane_of: dict[str, int] = {}
    hidden = 0
    # The focus booking first, so it always has a place; then by time.
    for en in sorted(waiting, key=lambda e: (e.ref != focus_ref, e.start, e.ref)):
        if en.end <= start or en.start >= end:
            continue
        lane = next((i for i, last in enumerate(lanes) if last <= en.start), None)
        if lane is None and max_waiting_lanes is not None and len(lanes) >= max_waiting_lanes:
            hidden += 1
            continue
        if lane is None:
            lanes.append(en.end)
            lane = len(lanes) - 1
        else:
            lanes[lane] = en.end
        lane_of[en.ref] = lane
    if lanes:
        more = f", {hidden} more not drawn" if hidden else ""
        zones.append(ZoneBand(y=y, height=zone_height, name=f"Waiting for a table ({len(lane_of)}{more})"))
        y += zone_height
        for i in range(len(lanes)):
            rows.append(Row(y=y, height=row_height, label="", caption="", zone="", free_for_focus=False, stripe=True))
            row_y[f"lane:{i}"] = y
            y += row_height
    for zone_tables in by_zone.values():
        zones.append(ZoneBand(y=y, height=zone_height, name=zone_tables[0].zone_name))
        y += zone_height
        for i, t in enumerate(zone_tables):
            caption = f"{t.max_covers} covers" + (" · ♿" if t.accessible else "")
            rows.append(Row(y=y, height=row_height, label=t.label, caption=caption, zone=t.zone,
                            free_for_focus=t.label in free_for_focus, stripe=bool(i % 2)))
            row_y[t.label] = y
            y += row_height

    bars: list[Bar] = []
    placed = [(e, e.table) for e in entries] + [(e, f"lane:{lane_of[e.ref]}") for e in waiting if e.ref in lane_of]
    for en, row_key in sorted(placed, key=lambda p: (p[1], p[0].start, p[0].ref)):
        if row_key not in row_y or en.end <= start or en.start >= end:
            continue
        x0, x1, xs = x_of(en.start), x_of(en.end), x_of(en.seated_end)
        hatched = en.kind in ("hold", "block")
        fill = HOLD_COLOUR if en.kind == "hold" else BLOCK_COLOUR if en.kind == "block" else state_colour(en.state)
        bars.append(
            Bar(
                x=x0, y=row_y[row_key] + 3, width=max(x1 - x0, 1.0), height=row_height - 6,
                buffer_x=xs, buffer_width=max(x1 - xs, 0.0),
                fill=fill, hatched=hatched, label=en.label, title=en.title,
                kind=en.kind, state=en.state, booking_id=en.booking_id, focused=bool(focus_ref) and en.ref == focus_ref,
                show_label=(xs - x0) >= 6.5 * len(en.label), version=en.version, block_id=en.block_id, ref=en.ref,
            )
        )
    seated: dict[str, TimelineEntry] = {}
    for en in entries:
        if en.kind == "booking":
            seated.setdefault(en.ref, en)
    covers = tuple(
        (x_of(m + 15), sum(e.covers for e in seated.values() if e.start <= m + 15 < e.seated_end))
        for m in range((start // 30) * 30, end, 30)
        if m >= start
    )
    states = tuple(sorted({e.state for e in [*entries, *waiting] if e.state}))

    ticks = []
    for m in range((start // 30) * 30, end + 1, 30):
        if m >= start:
            ticks.append(Tick(x=x_of(m), label=_hhmm(m) if m % 60 == 0 else "", major=m % 60 == 0))

    band = None
    if focus is not None:
        band = Band(x=x_of(focus[0]), width=max(x_of(focus[1]) - x_of(focus[0]), 1.0),
                    label=f"{_hhmm(focus[0])}–{_hhmm(focus[1])}")
    now_x = x_of(now_minute) if now_minute is not None and start <= now_minute <= end else None
    return TimelineLayout(
        width=label_width + (end - start) * minute_width + 24, height=y + 8, label_width=label_width,
        header_height=header_height, rows=tuple(rows), zones=tuple(zones), bars=tuple(bars), ticks=tuple(ticks),
        focus=band, start=start, end=end, now_x=now_x, covers=covers, states=states, waiting_lanes=len(lanes),
        waiting_hidden=hidden,
    )


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
            paced = [f"{v} {what}" for v, what in ((limits.covers_per_slot, "covers/slot"),
                                                    (limits.bookings_per_slot, "bookings/slot"),
                                                    (limits.covers_per_service, "covers/service")) if v]
            parts.append(text + (f" (pacing {', '.join(paced)})" if paced else ""))
        lead = {"exception": "Special hours", "weekly": "Weekly hours"}.get(s.source, "Hours")
        return f"{lead}: " + "; ".join(parts) + (f" · {s.note}" if s.note else "")


def _booking_ref(b_id: int, external_ref: str | None) -> str:
    return external_ref or f"#{b_id}"


def restaurant_day_timeline(
    *, restaurant: Restaurant, day: date, focus_booking_id: int | None = None, now: datetime | None = None,
    whole_day: bool = False, now_line: datetime | None = None, all_waiting: bool = False,
) -> DayTimeline:
    """Tables, the day's allocations (bookings, table blocks and live holds) and the bookings still without
    tables (drawn in the waiting lane at their time), in four queries; plus, for a focus booking still waiting,
    which tables are free over its window. The range is the service periods unless `whole_day`."""
    now = now or timezone.now()
    tz = restaurant.tzinfo
    midnight = restaurant.local_midnight(day)
    table_rows = list(Table.objects.filter(restaurant=restaurant, active=True).select_related("zone"))
    tables = [
        TimelineTable(label=t.label, zone=t.zone.key, zone_name=t.zone.name, max_covers=t.max_covers,
                      accessible=t.accessible)
        for t in table_rows
    ]
    zone_prio = {t.zone.key: t.zone.priority for t in table_rows}
    zone_order = sorted(zone_prio, key=lambda z: (zone_prio[z], z))

    rows = (
        TableAllocation.objects.filter(restaurant=restaurant, start_at__lt=midnight + DAY_SPAN, end_at__gt=midnight)
        .filter(Q(hold__isnull=True) | Q(hold__expires_at__gt=now))
        .values(
            "table__label", "start_at", "end_at", "booking_id", "hold_id", "booking__state", "booking__external_ref",
            "booking__party_size", "booking__guest_name", "booking__end_at", "hold__party_size", "hold__expires_at",
            "hold__booking_id", "booking__version", "block_id", "block__reason",
        )
    )
    entries = []
    counts = {"bookings": set(), "holds": set()}
    for r in rows:
        start, end = to_minutes(restaurant, day, r["start_at"]), to_minutes(restaurant, day, r["end_at"])
        if r["booking_id"]:
            counts["bookings"].add(r["booking_id"])
            ref = _booking_ref(r["booking_id"], r["booking__external_ref"])
            seated_end = min(to_minutes(restaurant, day, r["booking__end_at"]), end)
            guest = f" · {r['booking__guest_name']}" if r["booking__guest_name"] else ""
            entries.append(
                TimelineEntry(
                    table=r["table__label"], start=start, end=end, seated_end=seated_end, kind="booking",
                    ref=f"b{r['booking_id']}", label=f"{ref} · {r['booking__party_size']}p",
                    title=(f"{ref}{guest} · {r['booking__party_size']} covers · {_hhmm(start)}–{_hhmm(seated_end)}"
                           f" (+buffer to {_hhmm(end)}) · {state_label(r['booking__state'])}"),
                    state=r["booking__state"], booking_id=r["booking_id"], covers=r["booking__party_size"],
                    version=r["booking__version"],
                )
            )
        elif r["block_id"]:
            entries.append(
                TimelineEntry(
                    table=r["table__label"], start=start, end=end, seated_end=end, kind="block",
                    ref=f"k{r['block_id']}", label=f"blocked: {r['block__reason']}",
                    title=f"Blocked {_hhmm(start)}–{_hhmm(end)}: {r['block__reason']}", block_id=r["block_id"],
                )
            )
        else:
            counts["holds"].add(r["hold_id"])
            party = f" · {r['hold__party_size']}p" if r["hold__party_size"] else ""
            entries.append(
                TimelineEntry(
                    table=r["table__label"], start=start, end=end, seated_end=end, kind="hold",
                    ref=f"h{r['hold_id']}", label=f"hold {r['hold_id']}{party}",
                    title=(f"Hold #{r['hold_id']}{party} · {_hhmm(start)}–{_hhmm(end)} · expires "
                           f"{r['hold__expires_at'].astimezone(tz):%H:%M:%S}"),
                    booking_id=r["hold__booking_id"],
                )
            )

    allocated = counts["bookings"]
    waiting_qs = (
        Booking.objects.filter(
            restaurant=restaurant, state__in=WAITING_STATES, start_at__lt=midnight + DAY_SPAN, start_at__gte=midnight
        )
        .select_related("preferred_zone")
        .order_by("start_at", "id")
    )
    waiting = [
        WaitingBooking(booking=b, start_label=f"{b.start_at.astimezone(tz):%H:%M}",
                       end_label=f"{b.end_at.astimezone(tz):%H:%M}")
        for b in waiting_qs
        if b.pk not in allocated and restaurant.service_day_of(b.start_at) == day
    ]

    focus_booking = None
    focus = None
    free: tuple[str, ...] = ()
    if focus_booking_id is not None:
        focus_booking = Booking.objects.filter(pk=focus_booking_id, restaurant=restaurant).first()
    if focus_booking is not None and restaurant.service_day_of(focus_booking.start_at) == day:
        end_with_buffer = focus_booking.end_at + timedelta(minutes=restaurant.buffer_minutes)
        focus = (to_minutes(restaurant, day, focus_booking.start_at), to_minutes(restaurant, day, end_with_buffer))
        if focus_booking.state in WAITING_STATES:
            from assignments.selectors.review import booking_tables_at_time

            free = tuple(t.label for t in booking_tables_at_time(booking_id=focus_booking.pk) if t.free)

    buffer = restaurant.buffer_minutes
    lane = []
    for w in waiting:
        b = w.booking
        b_start, b_end = to_minutes(restaurant, day, b.start_at), to_minutes(restaurant, day, b.end_at)
        ref = _booking_ref(b.pk, b.external_ref)
        lane.append(TimelineEntry(
            table="", start=b_start, end=b_end + buffer, seated_end=b_end, kind="waiting", ref=f"b{b.pk}",
            label=f"{ref} · {b.party_size}p", state=b.state, booking_id=b.pk, covers=b.party_size, version=b.version,
            title=(f"{ref}{' · ' + b.guest_name if b.guest_name else ''} · {b.party_size} covers · {_hhmm(b_start)}–"
                   f"{_hhmm(b_end)} · {state_label(b.state)}{' · ♿' if b.needs_accessible else ''}"),
        ))
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    periods = [{"name": x.name, "start": _hhmm(x.start), "end": _hhmm(x.end)} for x in schedule.services]
    lo, hi = timeline_range(service_periods=periods or restaurant.service_periods, entries=[*entries, *lane],
                            whole_day=whole_day)
    now_minute = to_minutes(restaurant, day, now_line or now)  # holds expire by the real clock, `now`
    layout = timeline_layout(
        tables=tables, entries=entries, start=lo, end=hi, zone_order=zone_order, focus=focus,
        focus_ref=f"b{focus_booking.pk}" if focus_booking else "", free_for_focus=frozenset(free),
        now_minute=now_minute, waiting=lane, max_waiting_lanes=None if all_waiting else 6,
    )
    return DayTimeline(
        restaurant=restaurant, day=day, layout=layout, waiting=waiting, focus_booking=focus_booking,
        free_for_focus=free, counts={"bookings": len(allocated), "holds": len(counts["holds"])}, schedule=schedule,
    )
