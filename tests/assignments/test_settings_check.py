"""The pipeline's knobs are checked at start: MAITRE_BATCH_SIZE=-5 passed `manage.py check` and every process
started, then each claim raised "Negative indexing is not supported" (0: each claim took nothing); no booking was
seated."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from assignments.checks import maitre_settings_check


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("BATCH_SIZE", -5, "at least 1"),
        ("BATCH_SIZE", 0, "at least 1"),
        ("SWEEP_INTERVAL_SECONDS", 0.0, "more than 0"),
        ("LOCK_TTL_SECONDS", float("inf"), "more than 0"),
        ("RETRY_BASE_DELAY_MS", -1, "at least 0"),
    ],
)
def test_an_impossible_knob_stops_the_checks_naming_its_variable(settings, key, value, rule):
    settings.MAITRE = {**settings.MAITRE, key: value}

    (error,) = maitre_settings_check()

    assert error.id == "maitre.E001"
    assert f"The setting MAITRE['{key}'] is {value!r}; it must be a finite number, {rule}." == error.msg
    assert f"MAITRE_{key}" in error.hint
    with pytest.raises(SystemCheckError, match=rf"maitre.E001.*{key}"):
        call_command("check")


def test_the_defaults_and_zero_where_it_means_something_pass(settings):
    assert maitre_settings_check() == []
    settings.MAITRE = {**settings.MAITRE, "OPTIMIZATION_FREEZE_MINUTES": 0, "RESEAT_PAYOFF_CONFIDENCE": 0.0}
    assert maitre_settings_check() == []
