from .allocations import Hold, TableAllocation, TableBlock
from .bookings import Booking, BookingState
from .floor import Restaurant, Table, TableAdjacency, Zone
from .history import AttemptResult, BookingAssignmentAttempt, BookingStateHistory
from .outbox import DeliveryState, DeliveryStatus, EmailDelivery, FloorHealDelivery, OutboxEvent
from .review import ReviewBooking
from .schedule import ScheduleException, WeeklyService

__all__ = [
    "AttemptResult",
    "Booking",
    "BookingAssignmentAttempt",
    "BookingState",
    "BookingStateHistory",
    "DeliveryState",
    "DeliveryStatus",
    "EmailDelivery",
    "FloorHealDelivery",
    "Hold",
    "OutboxEvent",
    "Restaurant",
    "ReviewBooking",
    "ScheduleException",
    "Table",
    "TableAdjacency",
    "TableAllocation",
    "TableBlock",
    "WeeklyService",
    "Zone",
]
