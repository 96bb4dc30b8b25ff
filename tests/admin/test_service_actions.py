"""Host actions in the admin: seat, complete and no-show from the booking page and the timeline, walk-ins from
tonight's timeline; who may; the timeline drawing seated / completed / no-show bars distinctly."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from assignments import lifecycle
from assignments.models import Booking, BookingState, BookingStateHistory, TableAllocation
from assignments.presentation.timeline import STATE_COLOURS
from assignments.services.blocks import table_block_create
from tests.admin.conftest import VIEW_PERMS, _staff, confirmed_at
from tests.factories import DAY, FloorFactory, at, grant

pytestmark = pytest.mark.django_db
S = BookingState


@pytest.fixture
def evening(monkeypatch):
    """The console's and the walk-ins' clock, set to an evening minute of the test day."""

    def set_clock(hhmm: str):
        monkeypatch.setattr("assignments.admin.common.console_now", lambda: at(hhmm))
        monkeypatch.setattr("assignments.services.walk_ins.clock", lambda: at(hhmm))
        monkeypatch.setattr("assignments.admin.timeline.walk_in_clock", lambda: at(hhmm))

    set_clock("19:10")
    return set_clock


def _post(client, booking, action, **extra):
    url = reverse(f"admin:assignments_booking_{action}", args=[booking.pk])
    return client.post(url, {"version": booking.version, **extra})


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_host_seats_a_party_then_completes_it_and_its_tables_free_up(
    restaurant, viewer, viewer_client, evening
):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")

    r = _post(viewer_client, booking, "seat")
    assert r.status_code == 302 and r["Location"] == reverse(
        "admin:assignments_booking_change", args=[booking.pk]
    )
    booking.refresh_from_db()
    assert booking.state == S.SEATED and booking.arrived_at == at("19:10") and booking.arrived_late
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (last.transition, last.actor, last.actor_label) == ("seat", viewer, "staff:viewer")
    assert "seated at M1, 10 min late" in _said(r)[-1]

    r = _post(viewer_client, booking, "complete")
    booking.refresh_from_db()
    assert booking.state == S.COMPLETED
    end = TableAllocation.objects.get(booking=booking).end_at
    assert end < at("20:40") and "M1 free from" in _said(r)[-1]


def test_a_host_marks_a_no_show_and_the_timeline_is_where_it_goes_back_to(restaurant, viewer_client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    back = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"
    evening("19:20")
    r = _post(viewer_client, booking, "no-show", next=back)
    assert r.status_code == 302 and r["Location"] == back
    assert Booking.objects.get(pk=booking.pk).state == S.NO_SHOW
    assert "marked no-show; M1 free from now" in _said(r)[-1]


def test_refusals_say_why_and_change_nothing(restaurant, viewer_client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    version = booking.version
    evening("18:30")
    r = _post(viewer_client, booking, "no-show")  # not started yet
    assert "Not done" in _said(r)[-1] and "not started yet" in _said(r)[-1]
    r = _post(viewer_client, booking, "complete")  # not seated
    assert "Not done" in _said(r)[-1]
    booking.version -= 1
    r = _post(viewer_client, booking, "seat")  # stale page
    assert "changed by someone else" in _said(r)[-1]
    r = viewer_client.post(
        reverse("admin:assignments_booking_seat", args=[booking.pk]),
        {"version": "x", "next": "https://evil.example/"},
    )
    assert r["Location"].startswith("/admin/")  # never sent off-site
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (S.CONFIRMED, version)
    assert viewer_client.get(reverse("admin:assignments_booking_seat", args=[booking.pk])).status_code == 405


def test_only_hosts_may_and_only_in_their_restaurants(restaurant, client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    platform_staff = grant(_staff("clerk", VIEW_PERMS), restaurant, role="platform")
    client.force_login(platform_staff)
    assert _post(client, booking, "seat").status_code == 403

    other = FloorFactory.small()
    stranger = grant(_staff("stranger", VIEW_PERMS), other, role="host")
    client.force_login(stranger)
    assert _post(client, booking, "seat").status_code == 404

    granted = _staff("server", [*VIEW_PERMS, "serve_booking"])
    client.force_login(grant(granted, restaurant, role="platform"))
    assert _post(client, booking, "seat").status_code == 302
    assert Booking.objects.get(pk=booking.pk).state == S.SEATED


def test_the_booking_page_offers_what_the_state_allows(restaurant, viewer_client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    page = viewer_client.get(reverse("admin:assignments_booking_change", args=[booking.pk])).content.decode()
    assert 'id="maitre-seat"' in page and 'id="maitre-no-show"' in page and 'id="maitre-complete"' not in page
    assert "return confirm(" in page  # the no-show asks first
    lifecycle.booking_mark_seated(booking=booking, now=at("19:05"))
    page = viewer_client.get(reverse("admin:assignments_booking_change", args=[booking.pk])).content.decode()
    assert 'id="maitre-seat"' not in page and 'id="maitre-complete"' in page


def test_a_walk_in_from_the_timeline_is_seated_or_told_when_a_table_frees(restaurant, viewer_client, evening):
    url = reverse("admin:assignments_restaurant_timeline_walk_in", args=[restaurant.pk])
    evening("19:30")
    page = viewer_client.get(
        reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
    ).content.decode()
    assert 'id="maitre-walk-in"' in page

    r = viewer_client.post(url, {"party_size": "2", "guest_name": "Door"})
    booking = Booking.objects.get(guest_name="Door")
    assert booking.state == S.SEATED and r["Location"].endswith(f"?booking={booking.pk}")
    assert re.search(r"Walk-in of 2 seated at \w+ until 21:00", _said(r)[-1])

    taken = set(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True))
    assert taken == {"M1"}  # the smallest table that seats two
    table_block_create(
        restaurant=restaurant,
        table_labels=["M2", "M3", "T1"],
        start_at=at("17:00"),
        end_at=at("20:45"),
        reason="private party",
    )
    before = Booking.objects.count()
    r = viewer_client.post(url, {"party_size": "4"})
    assert Booking.objects.count() == before
    said = _said(r)[-1]
    assert (
        said == "Walk-in of 4 not seated: no table is free for 4 now; the next frees up at 20:45."
    )  # said once

    r = viewer_client.post(url, {"party_size": "lots"})
    assert "Give the party size" in _said(r)[-1] and Booking.objects.count() == before


def test_the_walk_in_form_is_only_on_tonights_timeline(restaurant, viewer_client, evening):
    tomorrow = DAY.toordinal() + 1
    from datetime import date

    url = reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk])
    page = viewer_client.get(f"{url}?date={date.fromordinal(tomorrow).isoformat()}").content.decode()
    assert 'id="maitre-walk-in"' not in page


def test_the_timeline_draws_seated_completed_and_no_show_bars_in_their_own_colours(
    restaurant, viewer_client, evening
):
    seated = confirmed_at(restaurant, ["M1"], start="19:00")
    lifecycle.booking_mark_seated(booking=seated, now=at("19:05"))
    left = confirmed_at(restaurant, ["M2"], start="18:00")
    lifecycle.booking_mark_seated(booking=left, now=at("18:00"))
    lifecycle.booking_complete(booking=left, now=at("19:00"))
    gone = confirmed_at(restaurant, ["T1"], party_size=4, start="18:30")
    lifecycle.booking_mark_no_show(booking=gone, now=at("18:50"))

    html = viewer_client.get(
        reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"
    ).content.decode()
    start = html.index('<svg class="maitre-timeline"')
    svg = html[start : html.index("</svg>", start)]
    for state, mark in ((S.SEATED, "seated"), (S.COMPLETED, "left"), (S.NO_SHOW, "no-show")):
        assert re.search(rf'<g class="maitre-bar maitre-booking maitre-state-{state}', svg), state
        assert f'fill="{STATE_COLOURS[state][0]}"' in svg
        assert f" · {mark}<" in svg or f" · {mark}</title>" in svg or f"· {mark}" in svg
    assert len({STATE_COLOURS[s][0] for s in S.values}) == len(S.values)  # no two states look alike
    # a no-show's covers never sat down: 18:30-19:00 counts only the two who left at 19:00, not the no-show's four
    html_covers = re.findall(
        r'class="maitre-covers" x="[^"]+" y="27" font-size="10" fill="[^"]+" text-anchor="middle">(\d+)<',
        html,
    )
    assert html_covers[3] == "2"  # slots from 17:00: 17:00, 17:30, 18:00, 18:30
    # the legend shows each drawn state
    legend = html[html.index('class="maitre-legend"') : start]
    assert all(f"maitre-state-{s}" in legend for s in (S.SEATED, S.COMPLETED, S.NO_SHOW))


def test_superusers_may_serve_everywhere(restaurant, client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    client.force_login(User.objects.create_superuser("boss", password="x"))
    assert _post(client, booking, "seat").status_code == 302
    assert Booking.objects.get(pk=booking.pk).state == S.SEATED


def test_a_confirmed_party_not_here_past_its_tolerance_reads_late_on_the_timeline(
    restaurant, viewer_client, evening
):
    late = confirmed_at(restaurant, ["M1"], start="19:00")
    on_time = confirmed_at(restaurant, ["M2"], start="19:10")
    evening("19:10")  # tolerance 5 minutes: 19:00 is late, 19:10 is not
    html = viewer_client.get(
        reverse("admin:assignments_restaurant_timeline", args=[restaurant.pk]) + f"?date={DAY.isoformat()}"
    ).content.decode()
    assert f"#{late.pk} · 2p · late<" in html and "not here yet" in html
    assert f"#{on_time.pk} · 2p<" in html


def test_a_party_seated_late_is_told_who_needs_its_table_before_it_would_finish(
    restaurant, viewer_client, evening
):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    stay = booking.end_at - booking.start_at
    freed = TableAllocation.objects.get(booking=booking).end_at
    after = confirmed_at(restaurant, ["M1"], party_size=2, start=f"{freed:%H:%M}")
    evening("19:50")

    r = _post(viewer_client, booking, "seat")
    booking.refresh_from_db()
    assert booking.state == S.SEATED  # seated all the same: the host decides what to tell whom
    said = _said(r)[-1]
    left = int((after.start_at - at("19:50")).total_seconds() // 60)
    assert "seated at M1, 50 min late" in said
    assert f"M1 is needed at {after.start_at:%H:%M} by {after.external_ref or f'#{after.pk}'} (2p)" in said
    assert f"{left} min from now" in said and "tell the party, or move" in said
    assert left * 60 < stay.total_seconds()


def test_a_party_seated_a_little_late_with_time_to_spare_gets_no_warning(restaurant, viewer_client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    confirmed_at(restaurant, ["M1"], start="22:30")
    evening("19:20")

    r = _post(viewer_client, booking, "seat")
    said = _said(r)[-1]
    assert "seated at M1, 20 min late" in said and "needed" not in said


def test_a_block_after_a_late_party_is_named_too(restaurant, viewer, viewer_client, evening):
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    table_block_create(
        restaurant=restaurant,
        table_labels=["M1"],
        start_at=TableAllocation.objects.get(booking=booking).end_at,
        end_at=at("23:00"),
        reason="window repair",
        user=viewer,
    )
    evening("19:40")

    said = _said(_post(viewer_client, booking, "seat"))[-1]
    assert "M1 is needed at" in said and "(blocked)" in said and "lift the block" in said


def test_a_party_cannot_be_seated_days_before_its_booking(restaurant, viewer_client, evening):
    """The API audit seated and completed a booking nine days ahead (its left_at before its start)."""
    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    evening("16:59")  # more than 2 h early: another day's party, or a slip
    said = _said(_post(viewer_client, booking, "seat"))[-1]
    assert "Not done" in said and "seated from 2 h before its time" in said
    assert Booking.objects.get(pk=booking.pk).state == S.CONFIRMED
    evening("17:05")  # early for their table: fine
    _post(viewer_client, Booking.objects.get(pk=booking.pk), "seat")
    assert Booking.objects.get(pk=booking.pk).state == S.SEATED
