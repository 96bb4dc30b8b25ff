"""A system check of the pipeline's knobs (settings.MAITRE, read from MAITRE_* in config/settings/base.py): a
value no pipeline can run with stops `manage.py worker`, `migrate`, `runserver` and `check` at once, naming the
variable, instead of failing every pass later (MAITRE_BATCH_SIZE=-5 passed every check and every process
started, then each claim raised "Negative indexing is not supported"; with 0 each claim took nothing: no
booking was ever seated)."""

from __future__ import annotations

import dataclasses
import math

from django.core.checks import Error, register

from assignments.conf import MaitreSettings, maitre_settings

# At least 1: counts and the windows they are counted in. More than 0: a lock that expires as it is taken, a
# sweep that never sleeps. Every other number: finite and not negative (0 is meaningful: no freeze window, no
# margin, the mean alone).
AT_LEAST_ONE = {"BATCH_SIZE", "RATE_LIMIT_PER_RESTAURANT", "RATE_LIMIT_WINDOW_MS", "BREAKER_FAIL_MAX"}
MORE_THAN_ZERO = {"LOCK_TTL_SECONDS", "SWEEP_INTERVAL_SECONDS"}


@register()
def maitre_settings_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for field in dataclasses.fields(MaitreSettings):
        value = getattr(maitre_settings, field.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if field.name in AT_LEAST_ONE:
            rule, fine = "at least 1", value >= 1
        elif field.name in MORE_THAN_ZERO:
            rule, fine = "more than 0", value > 0
        else:
            rule, fine = "at least 0", value >= 0
        if fine and math.isfinite(value):
            continue
        errors.append(
            Error(
                f"The setting MAITRE['{field.name}'] is {value!r}; it must be a finite number, {rule}.",
                hint=f"Set MAITRE_{field.name} in the environment to such a value, or unset it "
                f"(default {field.default!r}).",
                id="maitre.E001",
            )
        )
    return errors
