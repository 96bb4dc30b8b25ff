"""One reset for every process-wide cache (floors, time zones, the rollout mode, the lock manager, the breaker,
the settings object ...): each module registers how to forget its own cache, `maitre_caches_reset` forgets all.

Tests call it before each test; a module not imported yet has nothing to forget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()
_resets: dict[str, Callable[[], None]] = {}


def caches_register(reset: Callable[[], None], *, name: str | None = None) -> Callable[[], None]:
    """Remember how to forget one process-wide cache (registering the same name again replaces it, so a module
    reloaded by a test does not pile up resets). Returns `reset`, so that it can decorate a function."""
    key = name or f"{getattr(reset, '__module__', '?')}.{getattr(reset, '__qualname__', repr(reset))}"
    with _lock:
        _resets[key] = reset
    return reset


def caches_registered() -> list[str]:
    with _lock:
        return sorted(_resets)


def maitre_caches_reset() -> None:
    """Forget every registered process-wide cache."""
    with _lock:
        resets = list(_resets.values())
    for reset in resets:
        reset()
