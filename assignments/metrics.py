"""Maitre's own Prometheus metrics, in one place so names stay consistent. Exposed at /metrics."""

from prometheus_client import Counter, Gauge, Histogram

_MS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TRANSITION_SECONDS = Histogram(
    "maitre_booking_transition_seconds", "Time to apply one booking state transition.", ["from_state", "to_state"],
    buckets=_MS_BUCKETS,
)
TRANSITION_CONFLICTS = Counter("maitre_booking_version_conflicts_total", "Transitions refused for a stale version.")

LOCK_ACQUIRE_SECONDS = Histogram(
    "maitre_lock_acquire_seconds", "Time to acquire (or fail to acquire) a booking lock.", ["backend"],
    buckets=_MS_BUCKETS,
)
LOCK_ACQUIRED = Counter("maitre_lock_acquired_total", "Booking locks acquired.", ["backend"])
LOCK_CONTENDED = Counter("maitre_lock_contended_total", "Lock requests refused because another owner holds it.", ["backend"])
LOCK_FAILED = Counter("maitre_lock_failed_total", "Lock operations that failed because the lock store was unreachable.", ["backend", "operation"])

ASSIGNMENT_OUTCOMES = Counter(
    "maitre_assignment_outcomes_total", "Outcome of each strategy's proposal per attempt.", ["strategy", "result"]
)
BOOKINGS_FINISHED = Counter("maitre_bookings_finished_total", "Bookings leaving the pipeline, by final state.", ["state"])
BREAKER_STATE = Gauge("maitre_circuit_breaker_open", "1 when the assignment circuit breaker is open.", ["breaker"])
QUEUE_LATENCY_SECONDS = Histogram(
    "maitre_queue_latency_seconds", "From a message being enqueued to a worker starting it.", ["actor"],
    buckets=_MS_BUCKETS,
)
BOOKING_TO_CONFIRMED_SECONDS = Histogram(
    "maitre_booking_to_confirmed_seconds", "From assignment requested to confirmed.", buckets=_MS_BUCKETS
)
BATCH_SIZE = Histogram(
    "maitre_pipeline_batch_bookings", "Bookings claimed per pipeline transaction.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
WAKEUPS = Counter("maitre_pipeline_wakeups_total", "Wake-up messages, by outcome (sent, failed).", ["outcome"])
SWEEPS = Counter("maitre_pipeline_sweeps_total", "Restaurant days found due by a worker's sweep.")
REDIS_DEGRADED = Counter(
    "maitre_redis_degraded_total", "Times a process found Redis away and went on without it for a while."
)
ENGINE_DECISION_SECONDS = Histogram("maitre_engine_decision_seconds", "Pure engine decision time.", buckets=_MS_BUCKETS)


class ManualReviewCollector:
    """Bookings waiting in manual review, counted at scrape time (one indexed COUNT)."""

    def describe(self):
        """Names only, so that registering the collector does not query the database."""
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("maitre_manual_review_bookings", "Bookings waiting in manual review.")
        yield GaugeMetricFamily("maitre_due_bookings", "Bookings due for the pipeline now (the backlog).")
        yield GaugeMetricFamily("maitre_oldest_due_age_seconds", "How long the most overdue booking has waited.")

    def collect(self):
        from django.db.models import Count, Min
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        from assignments.models import Booking, BookingState

        family = GaugeMetricFamily("maitre_manual_review_bookings", "Bookings waiting in manual review.")
        due = GaugeMetricFamily("maitre_due_bookings", "Bookings due for the pipeline now (the backlog).")
        oldest = GaugeMetricFamily("maitre_oldest_due_age_seconds", "How long the most overdue booking has waited.")
        try:
            family.add_metric([], Booking.objects.filter(state=BookingState.MANUAL_REVIEW).count())
            now = timezone.now()
            agg = Booking.objects.filter(state=BookingState.ASSIGNMENT_PENDING, due_at__lte=now).aggregate(
                n=Count("id"), first=Min("due_at")
            )
        except Exception:  # a scrape must not fail because the database is away
            return
        due.add_metric([], agg["n"] or 0)
        oldest.add_metric([], (now - agg["first"]).total_seconds() if agg["first"] else 0.0)
        yield family
        yield due
        yield oldest
