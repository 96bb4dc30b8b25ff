"""The availability benchmark: snapshot latency warm and cold, a day's grid, and staleness after commits.

Runs against whatever database and cache the settings name (Postgres + Redis for the figures we publish).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from assignments import lifecycle
from assignments.context import assignment_context, engine_for
from assignments.models import Booking, BookingState, Restaurant
from assignments.scenario import Scenario
from assignments.services.allocations import AllocationConflict, allocations_create
from assignments.services.bookings import booking_create
from assignments.services.scenarios import scenario_import, scenario_tonight
from assignments.stats import percentile
from availability import events
from availability.selectors import availability_for_day, availability_for_slot
from availability.services import availability_invalidate


@dataclass
class Series:
    samples: list[float] = field(default_factory=list)  # seconds

    def summary(self) -> dict[str, float]:
        s = self.samples
        if not s:
            return {"n": 0}
        return {
            "n": len(s),
            "p50_ms": round(percentile(s, 50) * 1000, 3),
            "p99_ms": round(percentile(s, 99) * 1000, 3),
            "max_ms": round(max(s) * 1000, 3),
            "mean_ms": round(statistics.fmean(s) * 1000, 3),
        }


def _timed(fn: Callable[[], object], n: int, before: Callable[[], None] | None = None) -> Series:
    out = Series()
    for _ in range(n):
        if before:
            before()
        t = time.perf_counter()
        fn()
        out.samples.append(time.perf_counter() - t)
    return out


def seat_booking(booking: Booking) -> tuple[list[str], float | None]:
    """Plan with the engine and confirm the way the coordinator does: allocations + transition in one
    transaction. Returns the tables and the moment (time.time) the commit returned."""
    ctx = assignment_context(booking_id=booking.pk)
    decision = engine_for(restaurant=ctx.restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy)
    committed: list[float] = []
    for plan in decision.plans:
        try:
            with transaction.atomic():
                transaction.on_commit(lambda: committed.append(time.time()))  # runs first, right after COMMIT
                booking = Booking.objects.get(pk=booking.pk)
                if booking.state == BookingState.PENDING:
                    lifecycle.booking_request_assignment(booking=booking)
                allocations_create(
                    tables=[ctx.tables_by_label[t] for t in plan.tables],
                    start_at=ctx.window[0],
                    end_at=ctx.window[1],
                    booking=booking,
                )
                lifecycle.booking_confirm(booking=booking, tables=list(plan.tables), strategy=plan.strategy)
            return list(plan.tables), committed[0] if committed else None
        except AllocationConflict:
            continue
    return [], None


class _Poller(threading.Thread):
    """Reads one slot's snapshot in a loop, like a busy widget, and notes when a change first shows."""

    def __init__(self, restaurant: Restaurant):
        super().__init__(daemon=True)
        self.restaurant = restaurant
        self._lock = threading.Lock()
        self._generation = 0
        self.target: tuple[datetime, int, list[str], bool] | None = None
        self.seen_at: float | None = None
        self.polls = 0
        self.stop = threading.Event()
        self.ready = threading.Event()

    def watch(self, start_at: datetime, party_size: int, tables: list[str], *, taken: bool) -> None:
        """Wait for `tables` to be taken (taken=True) or free again (False) in that slot's snapshot."""
        with self._lock:
            self._generation += 1
            self.seen_at = None
            self.ready.clear()
            self.target = (start_at, party_size, tables, taken)

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self.target = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self._lock:
                    generation, target = self._generation, self.target
                if target is None:
                    time.sleep(0.0005)
                    continue
                start_at, party, tables, taken = target
                snap = availability_for_slot(restaurant=self.restaurant, start_at=start_at, party_size=party)
                now = time.time()
                self.polls += 1
                free = snap["free_tables"]
                shows = all((t not in free) if taken else (t in free) for t in tables)
                with self._lock:
                    if generation != self._generation:
                        continue  # read for a target that has since changed
                    self.ready.set()
                    if shows:
                        self.seen_at = now
                        self.target = None
        finally:
            connection.close()


def run(
    *,
    scenario: Scenario,
    seat: int,
    party_size: int,
    slot: str,
    iterations: int,
    cold_iterations: int,
    changes: int,
    progress: Callable[[str], None] = lambda s: None,
    step: Callable[[int, int], None] = lambda done, total: None,
) -> dict:
    """`progress` is told each phase as it starts, `step(done, total)` counts within a phase."""
    day = scenario_tonight(
        scenario=scenario
    )  # the API serves days from yesterday on: the file's day moves here
    restaurant = scenario_import(scenario=scenario, replace=True, day=day)
    pending = list(Booking.objects.filter(restaurant=restaurant).order_by("arrival", "external_ref"))
    seated = 0
    t0 = time.perf_counter()
    progress(f"seating {min(seat, len(pending))} bookings")
    for i, booking in enumerate(pending[:seat], 1):
        tables, _ = seat_booking(booking)
        seated += bool(tables)
        step(i, min(seat, len(pending)))
    seat_seconds = time.perf_counter() - t0
    h, m = map(int, slot.split(":"))
    slot_at = restaurant.local_midnight(day).replace(hour=h, minute=m)

    def invalidate() -> None:
        availability_invalidate(restaurant_id=restaurant.pk, start_at=slot_at, end_at=slot_at)

    def one_slot():
        return availability_for_slot(restaurant=restaurant, start_at=slot_at, party_size=party_size)

    def day_grid():
        return availability_for_day(restaurant=restaurant, day=day, party_size=party_size)

    one_slot(), day_grid()  # engine and connections warm
    results: dict = {
        "scenario": scenario.name,
        "tables": len(scenario.tables),
        "bookings": len(scenario.bookings),
        "seated": seated,
        "seat_seconds": round(seat_seconds, 2),
        "party_size": party_size,
        "slot": slot,
        "database": connection.vendor,
    }
    progress("measuring snapshot latency")
    results["slot_cold"] = _timed(one_slot, cold_iterations, invalidate).summary()
    one_slot()
    results["slot_warm"] = _timed(one_slot, iterations).summary()
    results["day_cold"] = _timed(day_grid, cold_iterations, invalidate).summary()
    day_grid()
    results["day_warm"] = _timed(day_grid, iterations).summary()
    grid = day_grid()
    results["day_slots"] = len(grid["slots"])

    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tenancy.services import membership_grant

    user, _ = get_user_model().objects.get_or_create(username="bench-availability")
    membership_grant(user=user, restaurant=restaurant)  # an API client sees only its restaurants
    token, _ = Token.objects.get_or_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = f"/api/availability?restaurant={restaurant.slug}&date={day.isoformat()}&party_size={party_size}"
    assert client.get(url).status_code == 200
    results["api_day_warm"] = _timed(lambda: client.get(url), max(50, iterations // 4)).summary()

    progress(f"measuring staleness over {changes} confirms")
    heard: dict[int, float] = {}
    unsubscribe = events.subscribe(restaurant.pk, lambda msg: heard.setdefault(id(msg), time.time()))
    poller = _Poller(restaurant)
    poller.start()
    staleness, event_latency = Series(), Series()
    misses = 0

    def observe(committed: float | None) -> None:
        nonlocal misses
        deadline = time.time() + 5
        while poller.seen_at is None and time.time() < deadline:
            time.sleep(0.0002)
        if poller.seen_at is None or committed is None:
            misses += 1
            poller.forget()
            return
        staleness.samples.append(max(0.0, poller.seen_at - committed))
        if heard:
            event_latency.samples.append(max(0.0, min(heard.values()) - committed))

    try:
        # Each remaining booking is confirmed (its tables must vanish from the snapshot), then cancelled
        # (they must come back): two changes, and the floor stays as loaded as it was.
        templates = [b for b in pending[seat:] if not b.explicit_duration]  # window = the slot's window
        for attempt in range(changes * 5):
            step(len(staleness.samples), changes)
            if len(staleness.samples) >= changes or not templates:
                break
            template = templates[attempt % len(templates)]
            booking = booking_create(
                restaurant=restaurant,
                party_size=template.party_size,
                start_at=template.start_at,
                preferred_zone=template.preferred_zone,
                needs_accessible=template.needs_accessible,
            )
            ctx = assignment_context(booking_id=booking.pk)
            best = engine_for(restaurant=restaurant, floor=ctx.floor).decide(ctx.request, ctx.occupancy).best
            if best is None:
                continue
            poller.watch(booking.start_at, booking.party_size, list(best.tables), taken=True)
            if not poller.ready.wait(2):  # the poller holds the "before" snapshot
                continue
            heard.clear()
            tables, committed = seat_booking(booking)
            if not tables:
                poller.forget()
                continue
            if tables != list(best.tables):
                poller.watch(booking.start_at, booking.party_size, tables, taken=True)
            observe(committed)
            poller.watch(booking.start_at, booking.party_size, tables, taken=False)
            poller.ready.wait(2)
            heard.clear()
            committed_at: list[float] = []
            with transaction.atomic():
                transaction.on_commit(lambda done=committed_at: done.append(time.time()))
                lifecycle.booking_cancel(booking=Booking.objects.get(pk=booking.pk), reason="benchmark")
            observe(committed_at[0] if committed_at else None)
    finally:
        poller.stop.set()
        poller.join(5)
        unsubscribe()
    results["staleness"] = staleness.summary()
    results["staleness_misses"] = misses
    results["commit_to_event"] = event_latency.summary()
    results["poller_reads"] = poller.polls
    return results
