"""Maitre's own settings, read once into typed objects and read again when Django says a setting changed
(`override_settings`, the `settings` fixture): the pattern of DRF's `api_settings`.

- `maitre_settings`: `settings.MAITRE` (the pipeline: locks, rate limits, retries, re-seating).
- `api_settings`: `settings.MAITRE_API` (the booking horizon, per-client limits, who may read /metrics and docs).
- `events_settings`: `settings.MAITRE_EVENTS` (events out: consumers, delivery backoff, the scheduler).

The defaults live here; config/settings/base.py reads the environment into the same keys. Keys an object does
not know are left alone.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

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
    SCHEDULE_LOOK_AHEAD_DAYS: int = 60
    RESEAT: bool = True
    RESEAT_TIME_LIMIT_SECONDS: float = 5.0
    RESEAT_DETERMINISTIC_TIME: float = 2.0
    RESEAT_PAYOFF_MARGIN: float = 1.0
    RESEAT_PAYOFF_CONFIDENCE: float = 2.0
    BATCH_SIZE: int = 50
    SWEEP_INTERVAL_SECONDS: float = 1.0
    REDIS_BACKOFF_SECONDS: float = 3.0
    # The floor heals itself (assignments.services.heal): on, the margin before a review booking's start, and
    # the debounce through which a burst of freed tables makes one pass.
    FLOOR_HEAL: bool = True
    FLOOR_HEAL_MARGIN_MINUTES: int = 15
    FLOOR_HEAL_DEBOUNCE_MS: int = 1000
    # How long a claimed heal is its worker's (renewed between offers): a heal still unfinished after it was
    # claimed by a process that died, and is due again.
    FLOOR_HEAL_LEASE_SECONDS: float = 60.0
    MAX_CLOCK_SKEW_SECONDS: float = 2.0


@dataclass(frozen=True)
class ApiSettings:
    BOOKING_PAST_GRACE_MINUTES: int = 15
    BOOKING_HORIZON_DAYS: int = 365
    HOLDS_MAX_LIVE_PER_CLIENT: int = 10
    STREAMS_MAX_PER_CLIENT: int = 3
    STREAM_MAX_SECONDS: float = 300.0
    METRICS_PUBLIC: bool = True
    METRICS_TOKEN: str = ""
    METRICS_ALLOWED_IPS: list[str] = dataclasses.field(default_factory=list)
    DOCS_PUBLIC: bool = True


@dataclass(frozen=True)
class EventsSettings:
    CONSUMERS: list[str] = dataclasses.field(
        default_factory=lambda: ["webhooks.services.webhook_deliveries_create"]
    )
    DELIVERY_BASE_DELAY_SECONDS: float = 5.0
    DELIVERY_MAX_DELAY_SECONDS: float = 3600.0
    DELIVERY_GIVE_UP_SECONDS: float = 3 * 24 * 3600.0
    WEBHOOK_TIMEOUT_SECONDS: float = 5.0
    WEBHOOK_ALLOW_PRIVATE_HOSTS: bool = False
    SCHEDULE_SECONDS: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "relay_outbox": 2.0,
            "deliveries": 5.0,
            "sweep_holds": 30.0,
            "optimizer": 60.0,
            "no_shows": 60.0,
        }
    )
    SCHEDULER_LOCK_TTL_SECONDS: float = 10.0


T = TypeVar("T")


def _from_django(kind: type[T], setting: str) -> T:
    given = getattr(settings, setting, None) or {}
    known = {f.name for f in dataclasses.fields(cast(Any, kind))}
    return kind(**{key: value for key, value in given.items() if key in known})


class _LazySettings(Generic[T]):
    """Reads one Django setting on first use and after each change, then answers from memory."""

    def __init__(self, kind: type[T], setting: str) -> None:
        self._kind = kind
        self._setting = setting
        self._lock = threading.Lock()
        self._loaded: T | None = None

    def _current(self) -> T:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _from_django(self._kind, self._setting)
                loaded = self._loaded
        return loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def reload(self) -> None:
        with self._lock:
            self._loaded = None


_lazy: dict[str, _LazySettings[Any]] = {
    "MAITRE": _LazySettings(MaitreSettings, "MAITRE"),
    "MAITRE_API": _LazySettings(ApiSettings, "MAITRE_API"),
    "MAITRE_EVENTS": _LazySettings(EventsSettings, "MAITRE_EVENTS"),
}
# Typed as what they answer with.
maitre_settings = cast(MaitreSettings, _lazy["MAITRE"])
api_settings = cast(ApiSettings, _lazy["MAITRE_API"])
events_settings = cast(EventsSettings, _lazy["MAITRE_EVENTS"])


def maitre_settings_reload() -> None:
    """Read settings.MAITRE, MAITRE_API and MAITRE_EVENTS again on next use."""
    for lazy in _lazy.values():
        lazy.reload()


caches_register(maitre_settings_reload)


def _on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in _lazy:
        _lazy[setting].reload()


setting_changed.connect(_on_setting_changed, dispatch_uid="maitre-settings-reload")
