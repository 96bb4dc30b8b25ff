from assignments.management.base import MaitreCommand, restaurant_from_ref
from assignments.management.summary import write_summary
from assignments.models import AttemptResult, BookingAssignmentAttempt, BookingState


class Command(MaitreCommand):
    help = (
        "Shadow mode report: how often the new engine agreed with the legacy assigner, and which of the two "
        "would seat more (bookings one could seat and the other could not)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--restaurant", help="Restaurant slug or id (default: all).")

    def handle(self, *args, restaurant, **options):
        qs = BookingAssignmentAttempt.objects.filter(result=AttemptResult.SHADOW).select_related("booking")
        if restaurant:
            qs = qs.filter(booking__restaurant=restaurant_from_ref(restaurant))
        latest: dict[int, BookingAssignmentAttempt] = {}
        for a in qs.order_by("booking_id", "attempt_no", "id"):
            latest[a.booking_id] = a  # the last shadow decision per booking
        n = len(latest)
        agree = engine_only = legacy_only = 0
        engine_only_covers = legacy_only_covers = 0
        for a in latest.values():
            engine_seats, legacy_seats = bool(a.metadata.get("tables")), bool(a.metadata.get("legacy_tables"))
            if a.metadata.get("agrees"):
                agree += 1
            if engine_seats and not legacy_seats:
                engine_only += 1
                engine_only_covers += a.booking.party_size
            if legacy_seats and not engine_seats:
                legacy_only += 1
                legacy_only_covers += a.booking.party_size
        confirmed = sum(1 for a in latest.values() if a.booking.state == BookingState.CONFIRMED)
        rows = [
            ("bookings compared", n),
            ("same tables", f"{agree} ({agree / n:.1%})" if n else "0"),
            ("engine seats, legacy cannot", f"{engine_only} bookings, {engine_only_covers} covers"),
            ("legacy seats, engine cannot", f"{legacy_only} bookings, {legacy_only_covers} covers"),
            ("confirmed (by legacy)", confirmed),
        ]
        verdict = (
            "engine"
            if engine_only_covers > legacy_only_covers
            else "legacy"
            if legacy_only_covers > engine_only_covers
            else "neither"
        )
        write_summary(self, "Shadow mode", [*rows, ("seats more", verdict)])
