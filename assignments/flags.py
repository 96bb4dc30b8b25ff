"""Rollout controls, as django-waffle switches (global on/off, editable in the admin under Waffle).

Switches rather than per-request flags because the pipeline runs in workers, where there is no request.
"""

from __future__ import annotations

import enum
import time

from waffle import switch_is_active

from assignments.caches import caches_register

PIPELINE_V3 = "assignment_pipeline_v3"
SHADOW_MODE = "assignment_shadow_mode"
KILL_SWITCH = "assignment_kill_switch"


class PipelineMode(enum.StrEnum):
    ENGINE = "engine"  # the new engine assigns
    SHADOW = "shadow"  # legacy assigns, the engine's choice is recorded beside it
    LEGACY = "legacy"  # legacy assigns (pipeline gate off, or kill switch on)


MODE_CACHE_SECONDS = 1.0
_cached: tuple[float, PipelineMode] | None = None


def pipeline_mode() -> PipelineMode:
    """Kill switch first (legacy, nothing else runs), then shadow mode, then the pipeline gate. Read at most
    once a second per process, so a switch flipped in the admin reaches every worker within a second."""
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < MODE_CACHE_SECONDS:
        return _cached[1]
    if switch_is_active(KILL_SWITCH):
        mode = PipelineMode.LEGACY
    elif switch_is_active(SHADOW_MODE):
        mode = PipelineMode.SHADOW
    else:
        mode = PipelineMode.ENGINE if switch_is_active(PIPELINE_V3) else PipelineMode.LEGACY
    _cached = (now, mode)
    return mode


@caches_register
def forget_mode() -> None:
    global _cached
    _cached = None


def flags_set(**states: bool) -> None:
    """Set switches by short name (pipeline_v3=, shadow_mode=, kill_switch=); used by commands and tests."""
    from waffle.models import Switch

    names = {"pipeline_v3": PIPELINE_V3, "shadow_mode": SHADOW_MODE, "kill_switch": KILL_SWITCH}
    for short, active in states.items():
        switch, _ = Switch.objects.get_or_create(name=names[short])
        switch.active = bool(active)
        switch.save()
    forget_mode()
