"""Service hours and turn times, pure; the models read them without importing the scenario file format."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from assignments.service_hours import (
    ServicePeriod,
    is_party_size_key,
    minute_in_periods,
    minute_of,
    periods_from,
    turn_minutes_for,
)

ROOT = Path(__file__).resolve().parents[2]
DINNER_PAST_MIDNIGHT = (ServicePeriod("lunch", "12:00", "15:00"), ServicePeriod("dinner", "18:00", "01:30"))


def test_turn_time_is_the_smallest_key_that_seats_the_party_else_the_default():
    turns = {"2": 90, "4": 105, "default": 150}
    assert [turn_minutes_for(turns, n) for n in (1, 2, 3, 4, 5, 12)] == [90, 90, 105, 105, 150, 150]


def test_a_period_past_midnight_keeps_its_early_minutes_with_the_evening():
    assert minute_in_periods(minute_of("00:45"), DINNER_PAST_MIDNIGHT) == 24 * 60 + 45
    assert minute_in_periods(minute_of("01:30"), DINNER_PAST_MIDNIGHT) is None  # the end is not a start
    assert minute_in_periods(minute_of("16:00"), DINNER_PAST_MIDNIGHT) is None
    assert periods_from([{"name": "dinner", "start": "18:00", "end": "01:30"}])[0] == DINNER_PAST_MIDNIGHT[1]


@given(st.integers(min_value=0, max_value=24 * 60 - 1))
def test_a_minute_in_service_is_the_same_wall_clock_minute_inside_one_period(minute):
    found = minute_in_periods(minute, DINNER_PAST_MIDNIGHT)
    if found is not None:
        assert found % (24 * 60) == minute
        assert any(p.start_minute <= found < p.end_minute for p in DINNER_PAST_MIDNIGHT)
    else:
        assert not any(
            p.start_minute <= m < p.end_minute
            for p in DINNER_PAST_MIDNIGHT
            for m in (minute, minute + 24 * 60)
        )


def test_service_hours_import_no_django():
    code = "import sys; import assignments.service_hours; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_the_models_do_not_import_the_scenario_file_format():
    for path in sorted((ROOT / "assignments" / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            assert not any(
                n == "assignments.scenario" or n.startswith("assignments.scenario.") for n in names
            ), path


def test_a_turn_time_key_is_a_party_size_turn_for_reads_back():
    """ "²" passed str.isdigit() and then failed int() (a 500 in the admin, a traceback on import); "02" was kept
    and its time never found (turn_for looks up "2": a KeyError)."""
    from assignments.models.schedule import turn_minutes_errors
    from assignments.scenario import ScenarioError
    from assignments.scenario_schedule import parse_schedule

    for good in ("1", "2", "12"):
        assert is_party_size_key(good)
        assert turn_minutes_errors({good: 60, "default": 90}) is None
    for bad in ("²", "٣", "02", "0", "", "2.0", " 2", 2):
        assert not is_party_size_key(bad)
        assert turn_minutes_errors({bad: 60, "default": 90}), bad
    try:
        parse_schedule(
            {
                "weekly": {
                    "monday": [{"start": "18:00", "end": "22:00", "turn_minutes": {"²": 60, "default": 90}}]
                }
            }
        )
    except ScenarioError as exc:
        assert "keys must be party sizes" in exc.reason
    else:
        raise AssertionError("a '²' key was accepted")
