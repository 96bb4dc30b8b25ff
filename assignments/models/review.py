"""The manual-review queue: the bookings a person must decide, as their own admin list."""

from assignments.models.bookings import Booking


class ReviewBooking(Booking):
    """A proxy: no table of its own. The queue's rows are bookings in manual_review, or stuck in
    assignment_pending (see assignments.selectors.review.review_queue)."""

    class Meta:
        proxy = True
        verbose_name = "review queue booking"
        verbose_name_plural = "review queue"
        permissions = [
            ("override_seating", "Can seat a booking on tables that break a soft rule (recorded as such)")
        ]
