from .allocations import Hold, TableAllocation
from .bookings import Booking, BookingState
from .floor import Restaurant, Table, TableAdjacency, Zone
from .history import AttemptResult, BookingAssignmentAttempt, BookingStateHistory
from .outbox import OutboxEvent

__all__ = [
    "AttemptResult",
    "Booking",
    "BookingAssignmentAttempt",
    "BookingState",
    "BookingStateHistory",
    "Hold",
    "OutboxEvent",
    "Restaurant",
    "Table",
    "TableAdjacency",
    "TableAllocation",
    "Zone",
]
