"""The day's timeline as a picture: tables down the side (grouped by zone), time across, bars for bookings,
holds and blocks, the waiting lane, the covers strip; and the colours the console gives each booking state.

Pure: plain data in (minutes from the service day's local midnight), SVG geometry out, no Django, so the picture
is tested without a browser or a database. assignments.selectors.timeline reads the day and feeds it in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

DAY_SPAN_MINUTES = 30 * 60  # a service day may run past midnight (assignments.context.DAY_SPAN)

# (background, text) per booking state; the badges in every list and the timeline's bars use the same.
STATE_COLOURS: dict[str, tuple[str, str]] = {
    "pending": ("#78909c", "#ffffff"),
    "assignment_pending": ("#f9a825", "#1b1b1b"),
    "confirmed": ("#2e7d32", "#ffffff"),
    "manual_review": ("#c62828", "#ffffff"),
    "cancelled": ("#9e9e9e", "#ffffff"),
    "seated": ("#1565c0", "#ffffff"),  # at the table now
    "completed": ("#cfd8dc", "#263238"),  # left: a pale bar, its freed time plainly empty after it
    "no_show": ("#6d4c41", "#ffffff"),  # never came: brown, unlike review's red
}
# What a bar adds to its label, so the state reads without the colour too.
STATE_MARKS: dict[str, str] = {"seated": "seated", "completed": "left", "no_show": "no-show"}
UNKNOWN_STATE_COLOURS = ("#546e7a", "#ffffff")
HOLD_COLOUR = "#5c6bc0"
BLOCK_COLOUR = "#455a64"


def state_colours(state: str) -> tuple[str, str]:
    """(background, text) of a state's badge."""
    return STATE_COLOURS.get(str(state), UNKNOWN_STATE_COLOURS)


def state_colour(state: str) -> str:
    return state_colours(state)[0]


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
    kind: (
        str  # "booking" | "hold" | "block" | "waiting" (a booking without tables, drawn in the waiting lane)
    )
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
    text_fill: str = "#ffffff"
    started: bool = False  # its start is past the now line (a no-show may be marked only then)
    table: str = (
        ""  # the table whose row it is drawn on ("" in the waiting lane): a tap there offers that table
    )

    @property
    def text_y(self) -> float:
        """The label's baseline, centred in the bar (14 below the top of the 20-high bar of a laptop row)."""
        return self.y + self.height / 2 + 4


@dataclass(frozen=True)
class Row:
    y: float
    height: float
    label: str
    caption: str
    zone: str
    free_for_focus: bool
    stripe: bool

    @property
    def text_y(self) -> float:
        """The table's name's baseline, centred in the row (17 below the top of a 26-high laptop row)."""
        return self.y + self.height / 2 + 4


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


ROW_HEIGHT = 26.0  # a table's row for a mouse: 20-high bars, about 20 tables on a laptop screen
TOUCH_ROW_HEIGHT = 40.0  # for a finger on the host stand's tablet: 34-high bars, each a target of its own


def hhmm(minutes: int) -> str:
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def timeline_range(
    *,
    service_periods: Sequence[dict] = (),
    entries: Sequence[TimelineEntry],
    whole_day: bool = True,
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[int, int]:
    """Whole hours covering the service periods (as "HH:MM" rows, or as minute `spans`), and with `whole_day`
    everything on the timeline too (a stray early hold must not push the dinner service off-screen by default)."""
    starts, ends = [s for s, _e in spans], [e for _s, e in spans]
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
    hi = min(DAY_SPAN_MINUTES, -(-hi // 60) * 60)
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
    clock: Callable[[int], str] = hhmm,
    minute_width: float = 2.4,
    row_height: float = ROW_HEIGHT,
    zone_height: float = 22.0,
    label_width: float = 150.0,
    header_height: float = 30.0,
) -> TimelineLayout:
    """Rows are tables grouped by zone (in `zone_order`, then by key), columns are minutes in [start, end) of real
    time; `clock` says what the wall clock reads at a minute (the hour labels: on the night the clocks change an
    hour is labelled twice or not at all, and every bar keeps its real length)."""

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
            rows.append(
                Row(y=y, height=row_height, label="", caption="", zone="", free_for_focus=False, stripe=True)
            )
            row_y[f"lane:{i}"] = y
            y += row_height
    for zone_tables in by_zone.values():
        zones.append(ZoneBand(y=y, height=zone_height, name=zone_tables[0].zone_name))
        y += zone_height
        for i, t in enumerate(zone_tables):
            caption = f"{t.max_covers} covers" + (" · ♿" if t.accessible else "")
            rows.append(
                Row(
                    y=y,
                    height=row_height,
                    label=t.label,
                    caption=caption,
                    zone=t.zone,
                    free_for_focus=t.label in free_for_focus,
                    stripe=bool(i % 2),
                )
            )
            row_y[t.label] = y
            y += row_height

    bars: list[Bar] = []
    placed = [(e, e.table) for e in entries] + [
        (e, f"lane:{lane_of[e.ref]}") for e in waiting if e.ref in lane_of
    ]
    for en, row_key in sorted(placed, key=lambda p: (p[1], p[0].start, p[0].ref)):
        if row_key not in row_y or en.end <= start or en.start >= end:
            continue
        x0, x1, xs = x_of(en.start), x_of(en.end), x_of(en.seated_end)
        hatched = en.kind in ("hold", "block")
        fill = (
            HOLD_COLOUR
            if en.kind == "hold"
            else BLOCK_COLOUR
            if en.kind == "block"
            else state_colour(en.state)
        )
        bars.append(
            Bar(
                x=x0,
                y=row_y[row_key] + 3,
                width=max(x1 - x0, 1.0),
                height=row_height - 6,
                buffer_x=xs,
                buffer_width=max(x1 - xs, 0.0),
                fill=fill,
                hatched=hatched,
                label=en.label,
                title=en.title,
                kind=en.kind,
                state=en.state,
                booking_id=en.booking_id,
                focused=bool(focus_ref) and en.ref == focus_ref,
                show_label=(xs - x0) >= 6.5 * len(en.label),
                version=en.version,
                block_id=en.block_id,
                ref=en.ref,
                text_fill=state_colours(en.state)[1] if en.kind in ("booking", "waiting") else "#ffffff",
                started=now_minute is not None and en.start <= now_minute,
                table="" if row_key.startswith("lane:") else en.table,
            )
        )
    seated: dict[str, TimelineEntry] = {}
    for en in entries:
        if en.kind == "booking" and en.state != "no_show":  # a no-show's covers never sat down
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
            ticks.append(Tick(x=x_of(m), label=clock(m) if m % 60 == 0 else "", major=m % 60 == 0))

    band = None
    if focus is not None:
        band = Band(
            x=x_of(focus[0]),
            width=max(x_of(focus[1]) - x_of(focus[0]), 1.0),
            label=f"{clock(focus[0])}–{clock(focus[1])}",
        )
    now_x = x_of(now_minute) if now_minute is not None and start <= now_minute <= end else None
    return TimelineLayout(
        width=label_width + (end - start) * minute_width + 24,
        height=y + 8,
        label_width=label_width,
        header_height=header_height,
        rows=tuple(rows),
        zones=tuple(zones),
        bars=tuple(bars),
        ticks=tuple(ticks),
        focus=band,
        start=start,
        end=end,
        now_x=now_x,
        covers=covers,
        states=states,
        waiting_lanes=len(lanes),
        waiting_hidden=hidden,
    )
