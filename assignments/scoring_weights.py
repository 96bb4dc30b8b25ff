"""What a restaurant's scoring_weights may hold: the engine's weight names with numbers, and a "demand" object.
Restaurant.clean() (so the admin form) refuses anything else, naming the key, so that a typo is caught where it
is typed and never halts the restaurant's assignments later."""

from __future__ import annotations

import math
from dataclasses import fields

from django.core.exceptions import ValidationError

from assignments.engine import DemandProfile, Weights

# Weights that may be negative: zone_load below 0 packs zones instead of spreading them.
SIGNED_WEIGHTS = frozenset({"zone_load"})
UNIT_WEIGHTS = frozenset({"protection_peak"})  # a share, 0 to 1
DEMAND_KEYS = frozenset({"party_mix", "hourly_mix", "intensity", "shortest_window", "opens", "closes"})


def validate_scoring_weights(value: object) -> None:
    """Refuse scoring weights the engine could not use (an unknown name, a non-number, a negative cost)."""
    if value in (None, {}):
        return
    if not isinstance(value, dict):
        raise ValidationError({"scoring_weights": "Must be a JSON object of weight names to numbers."})
    known = {f.name for f in fields(Weights)}
    for key, weight in value.items():
        if key == "demand":
            _validate_demand(weight)
            continue
        if key not in known:
            raise ValidationError(
                {"scoring_weights": f"Unknown weight {key!r}; known: {', '.join(sorted(known))}, demand."}
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
            raise ValidationError({"scoring_weights": f"Weight {key!r} must be a number, got {weight!r}."})
        if weight < 0 and key not in SIGNED_WEIGHTS:
            raise ValidationError({"scoring_weights": f"Weight {key!r} cannot be negative, got {weight!r}."})
        if key in UNIT_WEIGHTS and weight > 1:
            raise ValidationError(
                {"scoring_weights": f"Weight {key!r} is a share from 0 to 1, got {weight!r}."}
            )


def _validate_demand(demand: object) -> None:
    if not isinstance(demand, dict):
        raise ValidationError({"scoring_weights": "'demand' must be a JSON object."})
    unknown = sorted(set(demand) - DEMAND_KEYS)
    if unknown:
        raise ValidationError(
            {
                "scoring_weights": f"Unknown demand key {unknown[0]!r}; known: {', '.join(sorted(DEMAND_KEYS))}."
            }
        )
    try:
        DemandProfile.from_mapping(demand)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValidationError({"scoring_weights": f"'demand' cannot be read: {exc}."}) from exc
