"""The re-seat hook: how the coordinator and the host's console ask for room to be made for a booking
(other bookings moved so that it fits) without importing the optimizer, a higher layer.

The optimization app registers its re-seater in its AppConfig.ready. With none registered (the optimizer
not installed), `reseat_compute` finds no plan and a booking the engine cannot seat goes to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assignments.lifecycle import Actor
    from assignments.models import Booking, Table


class PlanStale(Exception):
    """What the plan was computed from changed before it could be applied; nothing was written."""


class ReseatProposal(Protocol):
    """Room for `booking`: the moves of other bookings (id -> (from tables, to tables)) and its own tables."""

    @property
    def booking(self) -> Booking: ...

    @property
    def tables(self) -> tuple[str, ...]: ...

    @property
    def moves(self) -> Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]: ...

    def table_objects(self, labels: tuple[str, ...]) -> list[Table]:
        """The floor's tables by label, as the plan saw them."""
        ...


class Reseater(Protocol):
    def compute(
        self,
        *,
        booking: Booking,
        now: datetime | None = None,
        time_limit: float | None = None,
        payoff_margin: float | None = None,
    ) -> ReseatProposal | None:
        """The fewest moves that seat `booking` (no writes), or None."""
        ...

    def apply(self, *, plan: ReseatProposal, actor: Actor, correlation_id: str = "") -> tuple[str, ...]:
        """Move the plan's bookings inside the caller's transaction and return the tables for the plan's
        booking (not yet allocated nor confirmed). Raises PlanStale or AllocationConflict."""
        ...


_registered: Reseater | None = None


def reseater_register(reseater: Reseater | None) -> None:
    """Install (or, with None, remove) the process's re-seater."""
    global _registered
    _registered = reseater


def reseater_installed() -> bool:
    return _registered is not None


def reseat_compute(
    *,
    booking: Booking,
    now: datetime | None = None,
    time_limit: float | None = None,
    payoff_margin: float | None = None,
) -> ReseatProposal | None:
    """The registered re-seater's proposal for `booking`, or None (also when no re-seater is installed)."""
    if _registered is None:
        return None
    return _registered.compute(booking=booking, now=now, time_limit=time_limit, payoff_margin=payoff_margin)


def reseat_apply(*, plan: ReseatProposal, actor: Actor, correlation_id: str = "") -> tuple[str, ...]:
    if _registered is None:
        raise PlanStale("no re-seater is installed")
    return _registered.apply(plan=plan, actor=actor, correlation_id=correlation_id)
