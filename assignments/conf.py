"""Maitre's own settings (`settings.MAITRE`), read once into a typed object, `maitre_settings`, and read again
when Django says a setting changed (`override_settings`, the `settings` fixture): the pattern of DRF's
`api_settings`. The defaults live here; config/settings/base.py reads the environment into the same keys.
Keys this object does not know are left alone (another module may read them from `settings.MAITRE`).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.signals import setting_changed

from assignments.caches import caches_register


@dataclass(frozen=True)
class MaitreSettings:
    LOCK_TTL_SECONDS: float = 10.0
    LOCK_ACQUIRE_TIMEOUT_SECONDS: float = 0.05
    # Pipeline transactions (batches of up to BATCH_SIZE bookings) per restaurant per window.
    RATE_LIMIT_PER_RESTAURANT: int = 200
    RATE_LIMIT_WINDOW_MS: int = 1000
    BREAKER_FAIL_MAX: int = 5
    BREAKER_RESET_SECONDS: float = 10.0
    RETRY_BASE_DELAY_MS: int = 500
    RETRY_MAX_DELAY_MS: int = 60_000
    STUCK_PENDING_SECONDS: int = 300
    AVAILABILITY_MAX_AGE_SECONDS: float = 1.0
    OPTIMIZATION_FREEZE_MINUTES: int = 60
    OPTIMIZATION_MIN_IMPROVEMENT: float = 0.10
    RESEAT: bool = True
    RESEAT_TIME_LIMIT_SECONDS: float = 0.5
    RESEAT_PAYOFF_MARGIN: float = 1.0
    BATCH_SIZE: int = 50
    SWEEP_INTERVAL_SECONDS: float = 1.0
    REDIS_BACKOFF_SECONDS: float = 3.0
    # The floor heals itself (assignments.services.heal): on, the margin before a review booking's start, and
    # the debounce through which a burst of freed tables makes one pass.
    FLOOR_HEAL: bool = True
    FLOOR_HEAL_MARGIN_MINUTES: int = 15
    FLOOR_HEAL_DEBOUNCE_MS: int = 1000

    @classmethod
    def from_django(cls) -> MaitreSettings:
        given = getattr(settings, "MAITRE", None) or {}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in given.items() if key in known})


class _LazyMaitreSettings:
    """Reads settings.MAITRE on first use and after each change, then answers from memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: MaitreSettings | None = None

    def _current(self) -> MaitreSettings:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = MaitreSettings.from_django()
                loaded = self._loaded
        return loaded

    def __getattr__(self, name: str):
        return getattr(self._current(), name)

    def reload(self) -> None:
        with self._lock:
            self._loaded = None


_lazy = _LazyMaitreSettings()
maitre_settings = cast(MaitreSettings, _lazy)  # typed as what it answers with


def maitre_settings_reload() -> None:
    """Read settings.MAITRE again on next use."""
    _lazy.reload()


caches_register(maitre_settings_reload)


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting == "MAITRE":
        maitre_settings_reload()


setting_changed.connect(_on_setting_changed, dispatch_uid="maitre-settings-reload")
