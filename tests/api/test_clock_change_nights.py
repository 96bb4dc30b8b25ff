"""The nights the clocks change, as a booking platform sends local times (found by the API audit of issue 15's
last round): a local time the clocks skip is a 400 naming it and nothing is written; a turn time is elapsed
time on either night (a 90-minute dinner is 90 minutes, not 30 or 150); a time the clocks go through twice is
the first of the two unless an offset says otherwise. Dates are computed from today (the next such nights at
least a week ahead), so the tests never age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from assignments.models import Booking, Hold

pytestmark = pytest.mark.django_db


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - 6) % 7)


def _next(month: int) -> date:
    """London's next clock change in that month (March: forward, October: back), at least 7 days ahead."""
    soon = timezone.now().date() + timedelta(days=7)
    year = soon.year
    while _last_sunday(year, month) < soon:
        year += 1
    return _last_sunday(year, month)


@pytest.fixture
def late_bar(restaurant):
    """Open 22:00-03:00, across the change (London changes at 01:00 UTC)."""
    restaurant.service_periods = [{"name": "late", "start": "22:00", "end": "03:00"}]
    restaurant.booking_horizon_days = 400
    restaurant.save()
    return restaurant


def _create(api, restaurant, start: str, **extra):
    body = {
        "restaurant": restaurant.slug,
        "party_size": 2,
        "start_at": start,
        "duration_minutes": 90,
        **extra,
    }
    return api.post("/api/bookings", body, format="json")


def test_a_local_time_the_clocks_skip_is_refused_naming_it(api_a, late_bar):
    night = _next(3)
    for start in (f"{night}T01:00", f"{night}T01:30", f"{night}T01:59"):
        r = _create(api_a, late_bar, start)
        assert r.status_code == 400, r.content
        assert "does not exist in Europe/London" in r.json()["fields"]["start_at"][0]
    h = api_a.post(
        "/api/holds",
        {"restaurant": late_bar.slug, "start_at": f"{night}T01:30", "tables": ["M1"]},
        format="json",
    )
    assert h.status_code == 400 and "does not exist" in str(h.json())
    assert not Booking.objects.exists() and not Hold.objects.exists()


@pytest.mark.parametrize("month", [3, 10])
def test_a_turn_is_elapsed_time_across_the_change(api_a, late_bar, month):
    night = _next(month)
    r = _create(api_a, late_bar, f"{night}T00:30")  # 00:30 local, before the change at 01:00 UTC either way
    assert r.status_code == 201, r.content
    b = Booking.objects.get(pk=r.json()["id"])
    assert b.end_at - b.start_at == timedelta(minutes=90)
    # the same instant sent with its offset is the same booking's time
    offset = "+00:00" if month == 3 else "+01:00"
    assert b.start_at == datetime.fromisoformat(f"{night}T00:30{offset}").astimezone(UTC)


def test_a_local_time_the_clocks_go_through_twice_is_the_first_unless_an_offset_says(api_a, late_bar):
    night = _next(10)
    first = _create(api_a, late_bar, f"{night}T01:30")
    second = _create(api_a, late_bar, f"{night}T01:30+00:00")
    assert first.status_code == 201 and second.status_code == 201, (first.content, second.content)
    a, b = (Booking.objects.get(pk=r.json()["id"]) for r in (first, second))
    assert a.start_at == datetime(night.year, night.month, night.day, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert b.start_at - a.start_at == timedelta(hours=1)
    assert a.end_at - a.start_at == timedelta(minutes=90) == b.end_at - b.start_at


def test_availability_on_the_spring_night_offers_no_skipped_time_and_sees_what_is_booked(
    api_a, late_bar, django_capture_on_commit_callbacks
):
    """Slots are wall-clock times of the day's hours; none falls in the hour the clocks skip, each lasts the turn
    in real time, and a table booked after the change is taken at the slot it overlaps (the occupancy is read in
    elapsed time: a slot measured on the wall clock looked an hour later than the booking it overlaps)."""
    night = _next(3)
    day = night - timedelta(days=1)  # the bar's service day: it opens at 22:00 the evening before
    url = f"/api/availability?restaurant={late_bar.slug}&date={day}&party_size=2"

    def slots() -> dict[str, dict]:
        r = api_a.get(url)
        assert r.status_code == 200, r.content
        return {s["start_at"]: s for s in r.json()["slots"]}

    before = slots()
    starts = [datetime.fromisoformat(s) for s in before]
    assert starts and not [s for s in starts if s.astimezone(late_bar.tzinfo).hour == 1 and s.date() == night]
    for s in before.values():
        length = datetime.fromisoformat(s["end_at"]) - datetime.fromisoformat(s["start_at"])
        assert length == timedelta(minutes=late_bar.turn_for(2) + late_bar.buffer_minutes), s
    at_0230 = next(
        k
        for k in before
        if datetime.fromisoformat(k).astimezone(late_bar.tzinfo).strftime("%H:%M") == "02:30"
    )
    from assignments import coordinator

    with django_capture_on_commit_callbacks(execute=True):  # availability hears of the new tables on commit
        r = _create(api_a, late_bar, at_0230)  # 02:30 BST = 01:30 UTC, after the change
        assert r.status_code == 201
        coordinator.process_booking(booking_id=r.json()["id"])
    b = Booking.objects.get(pk=r.json()["id"])
    assert b.state == "confirmed", b.state
    taken = set(r2.table.label for r2 in b.allocations.select_related("table"))
    after = slots()[at_0230]
    assert after["free_tables"] == before[at_0230]["free_tables"] - len(taken)
    assert not [p for p in after["plans"] if taken & set(p)], after["plans"]


def _seated_from(restaurant, table: str, start_utc: datetime, minutes: int = 90):
    """A party of 2 confirmed on `table` from `start_utc` for `minutes` (+ the buffer) through the seating door."""
    from assignments import lifecycle
    from assignments.services.bookings import booking_create
    from assignments.services.seating import booking_seat

    booking = booking_create(
        restaurant=restaurant, party_size=2, start_at=start_utc, duration_minutes=minutes
    )
    lifecycle.booking_request_assignment(booking=booking)
    booking_seat(
        booking=booking,
        tables=[restaurant.tables.get(label=table)],
        window=restaurant.occupied_window(booking.start_at, booking.end_at),
        strategy="test",
    )
    return booking


def test_a_refused_walk_in_after_the_autumn_change_is_told_the_real_next_free_time(late_bar):
    """London goes back from 02:00 BST to 01:00 GMT at 01:00 UTC. At 01:30 GMT (the second 01:30) M1 is taken until
    02:25 GMT and the rest of the floor is blocked: the next free time is 02:25, not an hour off (the search used to
    mix the occupancy's elapsed minutes with the wall-clock hours and read its answer on the wall clock)."""
    from assignments.services.blocks import table_block_create
    from assignments.services.walk_ins import WalkInRefused, walk_in_seat

    night = _next(10)
    utc = lambda hh, mm: datetime(night.year, night.month, night.day, hh, mm, tzinfo=UTC)  # noqa: E731
    table_block_create(
        restaurant=late_bar,
        table_labels=["M2", "M3", "T1"],
        start_at=utc(0, 0),
        end_at=utc(4, 0),
        reason="private party",
    )
    _seated_from(late_bar, "M1", utc(0, 45))  # 01:45 BST .. 02:15 GMT, + 10 min buffer: M1 frees at 02:25 GMT
    with pytest.raises(WalkInRefused) as refused:
        walk_in_seat(restaurant=late_bar, party_size=2, now=utc(1, 30))
    assert refused.value.next_free_at == utc(2, 25)
    assert "02:25" in str(refused.value.reason), refused.value.reason


def test_the_timeline_on_the_autumn_night_draws_real_lengths_and_the_hour_twice(late_bar):
    """The timeline is drawn in real time and labelled by the wall clock: a 90-minute dinner from 01:45 BST (00:45
    UTC) to 02:15 GMT is 90 minutes wide, not 30 (its wall-clock length), the hour the clocks go through twice is
    labelled twice, and the bar's title reads the wall-clock times."""
    from assignments.selectors.timeline import restaurant_day_timeline

    night = _next(10)
    day = night - timedelta(days=1)
    booking = _seated_from(late_bar, "M1", datetime(night.year, night.month, night.day, 0, 45, tzinfo=UTC))
    layout = restaurant_day_timeline(restaurant=late_bar, day=day, now=booking.start_at).layout
    bar = next(b for b in layout.bars if b.booking_id == booking.pk)
    per_minute = 2.4
    assert bar.buffer_x - bar.x == pytest.approx(90 * per_minute)
    assert bar.width == pytest.approx((90 + late_bar.buffer_minutes) * per_minute)
    assert "01:45 BST–02:15 (+buffer to 02:25)" in bar.title, bar.title
    hours = [t.label for t in layout.ticks if t.label]
    assert hours == ["22:00", "23:00", "00:00", "01:00 BST", "01:00 GMT", "02:00", "03:00"], hours


@pytest.mark.parametrize(
    ("month", "note"),
    [
        (
            10,
            "The clocks go back tonight: 02:00 BST becomes 01:00 GMT, so the hour from 01:00 to 02:00 comes twice.",
        ),
        (
            3,
            "The clocks go forward tonight: 01:00 GMT becomes 02:00 BST, so the hour from 01:00 to 02:00 does not happen.",
        ),
    ],
)
def test_the_timeline_says_when_the_clocks_change_that_night_and_only_then(late_bar, month, note):
    from assignments.selectors.timeline import clock_change_note, restaurant_day_timeline

    night = _next(month)
    assert clock_change_note(late_bar, night - timedelta(days=1)).startswith(note)
    assert restaurant_day_timeline(restaurant=late_bar, day=night - timedelta(days=1)).clock_note.startswith(
        note
    )
    assert clock_change_note(late_bar, night - timedelta(days=2)) == ""
    # the day after opens at 22:00, long after the change at 01:00 UTC that morning: nothing to say
    assert restaurant_day_timeline(restaurant=late_bar, day=night).clock_note == ""
