"""Expected demand by time of day: what lookahead protects tables for.

Only a prior (or a restaurant's own history) feeds it; an online decision never sees the actual
bookings still to come.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A generic evening: mostly twos and fours, a tail of large parties.
DEFAULT_PARTY_MIX: Mapping[int, float] = {
    1: 0.04,
    2: 0.48,
    3: 0.12,
    4: 0.18,
    5: 0.04,
    6: 0.06,
    7: 0.025,
    8: 0.025,
    9: 0.01,
    10: 0.01,
    12: 0.005,
}
# Relative arrival intensity by hour of the day (local), peaking 19:00-20:00.
DEFAULT_INTENSITY: Mapping[int, float] = {
    11: 0.2,
    12: 0.5,
    13: 0.5,
    14: 0.2,
    15: 0.1,
    16: 0.1,
    17: 0.35,
    18: 0.7,
    19: 1.0,
    20: 0.85,
    21: 0.35,
    22: 0.1,
}


@dataclass(frozen=True)
class DemandProfile:
    """Party-size mix (shares summing to ~1), optionally per hour, and relative intensity per hour.

    Times are minutes on the same clock as the requests (minutes since local midnight by default).
    `shortest_window` is the shortest occupancy (turn + buffer) a future booking is expected to need:
    a free stretch shorter than that is wasted.
    """

    party_mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_PARTY_MIX))
    hourly_mix: Mapping[int, Mapping[int, float]] = field(default_factory=dict)
    intensity: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_INTENSITY))
    shortest_window: int = 100
    opens: int = 17 * 60
    closes: int = 23 * 60 + 30
    # Minutes a party holds its tables (turn + buffer), by the largest party each turn is for; the
    # restaurant's configured turns, never its bookings. Empty: every party holds `shortest_window`.
    turns: Mapping[int, int] = field(default_factory=dict)

    def mix_at(self, minute: int) -> Mapping[int, float]:
        return self.hourly_mix.get((minute // 60) % 24, self.party_mix)

    def intensity_at(self, minute: int) -> float:
        if not self.intensity:
            return 1.0
        return float(self.intensity.get((minute // 60) % 24, 0.0))

    def turn_for(self, party: int) -> int:
        """Minutes a party of this size is expected to hold its tables (the first turn that covers it)."""
        if not self.turns:
            return self.shortest_window
        covering = [p for p in self.turns if p >= party]
        return self.turns[min(covering)] if covering else max(self.turns.values())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DemandProfile:
        """Build from per-restaurant config, e.g. {"party_mix": {"2": 0.5, ...}, "shortest_window": 100}."""
        kwargs: dict[str, Any] = {}
        if "party_mix" in data:
            kwargs["party_mix"] = {int(k): float(v) for k, v in data["party_mix"].items()}
        if "hourly_mix" in data:
            kwargs["hourly_mix"] = {
                int(h): {int(k): float(v) for k, v in mix.items()} for h, mix in data["hourly_mix"].items()
            }
        if "intensity" in data:
            kwargs["intensity"] = {int(k): float(v) for k, v in data["intensity"].items()}
        if "turns" in data:
            kwargs["turns"] = {int(k): int(v) for k, v in data["turns"].items()}
        for key in ("shortest_window", "opens", "closes"):
            if key in data:
                kwargs[key] = int(data[key])
        return cls(**kwargs)
