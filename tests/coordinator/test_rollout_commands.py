"""Backfill of state history and the shadow report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from assignments import coordinator, flags
from assignments.models import Booking, BookingStateHistory
from assignments.services.pipeline import booking_submit_for_assignment
from tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_backfill_gives_legacy_bookings_one_history_row_and_is_idempotent(restaurant):
    modern = make_booking(restaurant)
    legacy = [make_booking(restaurant, start=f"19:{m:02d}") for m in (0, 15, 30)]
    BookingStateHistory.objects.filter(booking__in=legacy).delete()
    Booking.objects.filter(pk__in=[b.pk for b in legacy]).update(version=0)

    out = io.StringIO()
    call_command("backfill_state_history", "--batch-size", "2", stdout=out, stderr=io.StringIO())
    call_command("backfill_state_history", stdout=io.StringIO(), stderr=io.StringIO())

    assert "backfilled                3" in out.getvalue()
    for b in legacy:
        rows = list(BookingStateHistory.objects.filter(booking=b))
        assert len(rows) == 1 and rows[0].to_state == "pending" and rows[0].transition == "backfill"
        assert Booking.objects.get(pk=b.pk).version == 1
    assert BookingStateHistory.objects.filter(booking=modern).count() == 1


def test_backfill_dry_run_writes_nothing(restaurant):
    b = make_booking(restaurant)
    BookingStateHistory.objects.filter(booking=b).delete()
    out = io.StringIO()
    call_command("backfill_state_history", "--dry-run", stdout=out, stderr=io.StringIO())
    assert (
        "bookings without history  1" in out.getvalue()
        and not BookingStateHistory.objects.filter(booking=b).exists()
    )


def test_shadow_report_counts_agreement(restaurant):
    flags.flags_set(shadow_mode=True)
    for start in ("19:00", "19:00", "21:00"):
        b = make_booking(restaurant, start=start)
        booking_submit_for_assignment(booking=b)
        coordinator.process_booking(booking_id=b.pk)
    out = io.StringIO()
    call_command("shadow_report", stdout=out)
    text = out.getvalue()
    assert "bookings compared            3" in text and "same tables" in text and "seats more" in text
