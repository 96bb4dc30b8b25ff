"""`manage.py demo`: a whole day through the real pipeline (in-process worker on the configured broker)."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from assignments.models import Booking, BookingState, BookingStateHistory


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.embedded
def test_demo_runs_the_sample_day_to_the_end():
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        get_redis_connection("default").flushdb()
    out = io.StringIO()

    call_command("demo", str(settings.BASE_DIR / "scenarios" / "sample-small.json"), stdout=out)

    text = out.getvalue()
    assert "covers seated" in text and "Wins per strategy" in text
    bookings = Booking.objects.all()
    assert bookings.count() == 39
    assert not bookings.filter(state=BookingState.ASSIGNMENT_PENDING).exists()
    confirmed = bookings.filter(state=BookingState.CONFIRMED)
    assert confirmed.exists() and bookings.filter(state=BookingState.MANUAL_REVIEW).exists()
    for b in confirmed:
        assert b.allocations.exists()
        assert BookingStateHistory.objects.filter(booking=b).count() == b.version
