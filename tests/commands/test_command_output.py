"""What optimize_day shows: its move list and its hint for an empty day (the benchmark commands' progress and
quiet modes: tests/bench/test_bench_commands.py)."""

from __future__ import annotations

import io
import re

from django.core.management import call_command

from tests.factories import DAY, DAY_ISO
from tests.optimization.test_day_optimizer import blocked_eight, snapshot  # noqa: F401 (fixture)


def test_the_dry_run_lists_the_moves_it_would_make(blocked_eight):  # noqa: F811
    r, couple, four, eight = blocked_eight
    before = snapshot()
    out = io.StringIO()
    call_command(
        "optimize_day",
        r.slug,
        "--date",
        DAY.isoformat(),
        "--dry-run",
        "--now",
        f"{DAY_ISO}T12:00",
        "--time-limit",
        "5",
        stdout=out,
    )
    text = out.getvalue()
    assert "Moves the plan would make (1 moved, 1 newly seated)" in text
    couple_ref, eight_ref = couple.external_ref or f"#{couple.pk}", eight.external_ref or f"#{eight.pk}"
    assert re.search(rf"^\s+{re.escape(couple_ref)}\s+2\s+19:00\s+M2\s+M1$", text, re.M), text
    assert re.search(rf"^\s+{re.escape(eight_ref)}\s+8\s+19:00\s+\(Manual review\)\s+M2\+M3$", text, re.M), (
        text
    )
    assert snapshot() == before


def test_an_empty_day_says_so_and_where_the_bookings_are(sample_restaurant):
    out = io.StringIO()
    call_command("optimize_day", sample_restaurant.slug, "--now", "2026-01-10T18:00", stdout=out)
    text = out.getvalue()
    assert (
        f"Nothing to optimize: {sample_restaurant.slug} has no booking on 2026-01-10 (the service day of --now)"
        in text
    )
    assert "it has bookings on 2026-09-05 (pass --date)" in text
    assert "Summary" not in text
