"""The Django admin, the ops console, one module per topic; importing them registers their ModelAdmins.

- common: who may assign, the restaurants a user sees, the console's clock, refusals as messages, read-only bases
- bookings: the bookings list, a booking's page and its fixes (assign, another time, re-seat, retry, cancel)
- review_queue: the bookings a person must decide, by service
- floor: restaurants, zones, tables, adjacency, blocks
- timeline: a restaurant's day as a working surface (seat, move, block)
- audit: history, attempts, allocations, holds, outbox (read-only)
"""

from assignments.admin import audit, bookings, common, floor, review_queue, timeline  # noqa: F401
from assignments.admin.common import can_assign, console_now, restaurants_visible_to  # noqa: F401
