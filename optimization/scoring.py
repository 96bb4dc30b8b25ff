"""The day's score, what "better" means for the day optimizer: covers seated minus a tenth of the plan cost,

    score = covers seated - QUALITY_WEIGHT x plan cost
    plan cost = sum over seated bookings of the engine's time-independent terms with the restaurant's
                weights (`assignments.engine.scoring.static_cost`): empty_seat x empty seats
                + extra_table x (tables - 1) + zone_mismatch x [not in the wished zone]
                + zone_priority x zone rank

so one cover outweighs ten units of cost (twenty empty seats at the default weights).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assignments.engine import Weights
from assignments.models import Restaurant
from optimization.selectors import DayState
from optimization.solver.model import plan_cost

QUALITY_WEIGHT = 0.1


def restaurant_weights(restaurant: Restaurant) -> Weights:
    """The restaurant's scoring weights (the demand profile, which a whole-day plan has no use for, left out)."""
    return Weights.from_mapping(
        {k: v for k, v in (restaurant.scoring_weights or {}).items() if k != "demand"}
    )


def day_score(
    state: DayState, assignment: Mapping[str, Iterable[str]], weights: Weights | None = None
) -> tuple[int, float]:
    """(covers seated, score) of a plan for the day's bookings (see the module docstring)."""
    weights = weights or restaurant_weights(state.restaurant)
    covers, cost = 0, 0.0
    for bid, tables in assignment.items():
        if bid not in state.bookings:
            continue
        r = state.requests[bid]
        covers += r.party_size
        cost += plan_cost(state.floor, r, tuple(tables), weights)
    return covers, round(covers - QUALITY_WEIGHT * cost, 3)
