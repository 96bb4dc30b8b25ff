"""What long commands show: optimize_day's move list and its hint for an empty day; progress bars with counts
on a terminal, nothing on stderr off a terminal or with --json."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import DAY
from tests.optimization.test_day_optimizer import blocked_eight, snapshot  # noqa: F401 (fixture)

SMALL = str(settings.BASE_DIR / "scenarios" / "sample-small.json")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_dry_run_lists_the_moves_it_would_make(blocked_eight):  # noqa: F811
    r, couple, four, eight = blocked_eight
    before = snapshot()
    out = io.StringIO()
    call_command("optimize_day", r.slug, "--date", DAY.isoformat(), "--dry-run", "--now", "2026-12-05T12:00",
                 "--time-limit", "5", stdout=out)
    text = out.getvalue()
    assert "Moves the plan would make (1 moved, 1 newly seated)" in text
    couple_ref, eight_ref = couple.external_ref or f"#{couple.pk}", eight.external_ref or f"#{eight.pk}"
    assert re.search(rf"^\s+{re.escape(couple_ref)}\s+2\s+19:00\s+M2\s+M1$", text, re.M), text
    assert re.search(rf"^\s+{re.escape(eight_ref)}\s+8\s+19:00\s+\(Manual review\)\s+M2\+M3$", text, re.M), text
    assert snapshot() == before


def test_an_empty_day_says_so_and_where_the_bookings_are(sample_restaurant):
    out = io.StringIO()
    call_command("optimize_day", sample_restaurant.slug, "--now", "2026-01-10T18:00", stdout=out)
    text = out.getvalue()
    assert f"Nothing to optimize: {sample_restaurant.slug} has no booking on 2026-01-10 (the service day of --now)" in text
    assert "it has bookings on 2026-09-05 (pass --date)" in text
    assert "Summary" not in text


def test_bench_engine_shows_each_phase_with_counts_on_a_terminal():
    out, err = io.StringIO(), Terminal()
    call_command("bench_engine", SMALL, "--time-limit", "1", "--online-time-limit", "0.2", stdout=out, stderr=err)
    shown = err.getvalue()
    assert "done: [1/1] sample-small: computing the online limit" in shown and "(39) in" in shown
    assert "done: [1/1] sample-small: replaying engine_reseat (39) in" in shown
    assert "scenarios" in shown and "elapsed" in shown and "left" in shown
    assert "sample-small  (12 tables, 39 bookings" in out.getvalue() and "Summary" in out.getvalue()


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_bench_engine_is_quiet_off_a_terminal_and_with_json(extra):
    out = io.StringIO()
    err = Terminal() if extra else io.StringIO()
    call_command("bench_engine", SMALL, "--time-limit", "1", "--no-online-limit", *extra, stdout=out, stderr=err)
    assert err.getvalue() == ""
    if extra:
        assert json.loads(out.getvalue())["scenarios"][0]["name"] == "sample-small"
