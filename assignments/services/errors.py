"""The refusals of the booking services that are not the lifecycle's own (assignments.lifecycle raises
InvalidTransition and VersionConflict; services raise django's ValidationError for bad input).

They say what went wrong in the restaurant's words; the API's exception handler (assignments.api.errors) turns
each into its HTTP answer, so no view formats an error by hand."""

from __future__ import annotations


class BookingStateRefused(Exception):
    """The booking's state does not allow what was asked (a cancelled booking modified or re-assigned)."""

    def __init__(self, detail: str, *, state: str):
        self.state = str(getattr(state, "value", state))
        super().__init__(detail)


class BookingBusy(Exception):
    """A worker, a person or the optimizer holds the booking right now; asking again shortly will do."""

    def __init__(self, detail: str = "The booking is being processed right now; try again shortly."):
        super().__init__(detail)


class ExternalRefTaken(Exception):
    """A create reused a platform's external_ref for a different request."""

    def __init__(self, *, external_ref: str, original: int):
        self.original = original
        super().__init__(
            f"external_ref {external_ref!r} is booking {original}, made with another party size or time; "
            "modify that booking or use a new reference."
        )
