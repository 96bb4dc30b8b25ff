"""Maitre's own Prometheus metrics, in one place so names stay consistent. Exposed at /metrics."""

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

_MS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TRANSITION_SECONDS = Histogram(
    "maitre_booking_transition_seconds",
    "Time to apply one booking state transition.",
    ["from_state", "to_state"],
    buckets=_MS_BUCKETS,
)
TRANSITION_CONFLICTS = Counter(
    "maitre_booking_version_conflicts_total", "Transitions refused for a stale version."
)

LOCK_ACQUIRE_SECONDS = Histogram(
    "maitre_lock_acquire_seconds",
    "Time to acquire (or fail to acquire) a booking lock.",
    ["backend"],
    buckets=_MS_BUCKETS,
)
LOCK_ACQUIRED = Counter("maitre_lock_acquired_total", "Booking locks acquired.", ["backend"])
LOCK_CONTENDED = Counter(
    "maitre_lock_contended_total", "Lock requests refused because another owner holds it.", ["backend"]
)
LOCK_FAILED = Counter(
    "maitre_lock_failed_total",
    "Lock operations that failed because the lock store was unreachable.",
    ["backend", "operation"],
)

ASSIGNMENT_OUTCOMES = Counter(
    "maitre_assignment_outcomes_total",
    "Outcome of each strategy's proposal per attempt.",
    ["strategy", "result"],
)
BOOKINGS_FINISHED = Counter(
    "maitre_bookings_finished_total", "Bookings leaving the pipeline, by final state.", ["state"]
)
BREAKER_STATE = Gauge(
    "maitre_circuit_breaker_open",
    "1 when the assignment circuit breaker is open.",
    ["breaker"],
    multiprocess_mode="livemax",
)
QUEUE_LATENCY_SECONDS = Histogram(
    "maitre_queue_latency_seconds",
    "From a message being enqueued to a worker starting it.",
    ["actor"],
    buckets=_MS_BUCKETS,
)
BOOKING_TO_CONFIRMED_SECONDS = Histogram(
    "maitre_booking_to_confirmed_seconds", "From assignment requested to confirmed.", buckets=_MS_BUCKETS
)
BATCH_SIZE = Histogram(
    "maitre_pipeline_batch_bookings",
    "Bookings claimed per pipeline transaction.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
WAKEUPS = Counter(
    "maitre_pipeline_wakeups_total", "Wake-up messages, by outcome (sent, failed).", ["outcome"]
)
SWEEPS = Counter(
    "maitre_pipeline_sweeps_total",
    "Restaurant days a worker's sweep found due, by what its pass found (as maitre_pipeline_notified_total): "
    "decided, nothing_due, busy, failed. Retries after their backoff and re-seats given back are due with no "
    "wake-up, so the sweep deciding days is normal on a busy evening.",
    ["outcome"],
)
NOTIFIED = Counter(
    "maitre_pipeline_notified_total",
    "Restaurant days a worker's listener was notified of (Postgres NOTIFY), by what its pass found: decided "
    "(bookings), nothing_due (another path got there first), busy (another worker had the day, or the rate "
    "limit or the breaker said not now: left to the holder and the sweep), failed (an error, or the database "
    "failed under the pass).",
    ["outcome"],
)


RESEATS_HANDED_OFF = Counter(
    "maitre_pipeline_reseats_handed_off_total",
    "Re-seat solves a worker ran on its re-seat thread instead of the thread that decided the batch.",
)
FLOOR_HEALED = Counter(
    "maitre_floor_healed_total",
    "Bookings brought back from review by freed tables, by how their one try ended.",
    ["outcome"],
)
FLOOR_HEAL_EVENTS = Counter(
    "maitre_floor_heal_events_total",
    "Freed-tables events heard, by what they did (offered, nothing, mode_*, failed).",
    ["result"],
)
REDIS_DEGRADED = Counter(
    "maitre_redis_degraded_total", "Times a process found Redis away and went on without it for a while."
)
ENGINE_DECISION_SECONDS = Histogram(
    "maitre_engine_decision_seconds", "Pure engine decision time.", buckets=_MS_BUCKETS
)

# The service itself (seated / completed / no-show), counted by the process that records it (web for hosts
# and walk-ins, a worker for the no-show sweep). No-show rate = no_show / all outcomes, per restaurant.
PARTY_ARRIVALS = Counter(
    "maitre_party_arrivals_total",
    "Confirmed parties by how their booking turned out: on_time, late, no_show.",
    ["restaurant", "outcome"],
)
TURN_MINUTES = Histogram(
    "maitre_turn_minutes",
    "Actual turn time of completed parties (seated to left), minutes.",
    ["restaurant"],
    buckets=(15, 30, 45, 60, 75, 90, 105, 120, 135, 150, 180, 210, 240, 300),
)
TURN_RATIO = Histogram(
    "maitre_turn_actual_to_planned_ratio",
    "Actual turn time over the planned one, per completed party.",
    ["restaurant"],
    buckets=(0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 2.0, 3.0),
)
WALK_INS = Counter(
    "maitre_walk_ins_total", "Walk-ins asked for, by outcome (seated, refused).", ["restaurant", "outcome"]
)


class ManualReviewCollector:
    """Bookings waiting in manual review, counted at scrape time (one indexed COUNT)."""

    def describe(self):
        """Names only, so that registering the collector does not query the database."""
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("maitre_manual_review_bookings", "Bookings waiting in manual review.")
        yield GaugeMetricFamily("maitre_due_bookings", "Bookings due for the pipeline now (the backlog).")
        yield GaugeMetricFamily(
            "maitre_oldest_due_age_seconds", "How long the most overdue booking has waited."
        )

    def collect(self):
        from django.db.models import Count, Min
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        from assignments.models import Booking, BookingState

        family = GaugeMetricFamily("maitre_manual_review_bookings", "Bookings waiting in manual review.")
        due = GaugeMetricFamily("maitre_due_bookings", "Bookings due for the pipeline now (the backlog).")
        oldest = GaugeMetricFamily(
            "maitre_oldest_due_age_seconds", "How long the most overdue booking has waited."
        )
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


# Events out: the outbox relay and its consumers (e-mail, webhooks). ------------------------------------
OUTBOX_EVENTS_PUBLISHED = Counter(
    "maitre_outbox_events_published_total", "Outbox events relayed to the streams."
)
OUTBOX_RELAY_LAG_SECONDS = Histogram(
    "maitre_outbox_relay_lag_seconds",
    "From an event being written to it being relayed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
DELIVERIES = Counter(
    "maitre_event_deliveries_total",
    "Delivery tries by consumer (email, webhook) and result.",
    ["consumer", "result"],
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "maitre_webhook_delivery_seconds",
    "From an event being written to its webhook being accepted.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0),
)
CLOCK_SKEW = Gauge(
    "maitre_clock_skew_seconds",
    "This process's clock minus the database's (positive: ahead), measured by workers and the web's health check.",
    multiprocess_mode="liveall",
)
SCHEDULER_RUNS = Counter("maitre_scheduler_job_runs_total", "Periodic jobs sent by the scheduler.", ["job"])
SCHEDULER_LEADER = Gauge(
    "maitre_scheduler_leader",
    "1 while a live scheduler holds the scheduler lock and runs the jobs.",
    multiprocess_mode="livemax",
)
OPTIMIZER_RUNS = Counter("maitre_optimizer_runs_total", "Scheduled optimizer runs by outcome.", ["outcome"])
OPTIMIZER_GAIN = Gauge(
    "maitre_optimizer_last_gain_ratio",
    "Score gain the last optimizer run found, per restaurant.",
    ["restaurant"],
    multiprocess_mode="mostrecent",
)


# Delivery models of the outbox's consumers in higher apps (webhooks registers its own in its AppConfig.ready),
# so that the backlog gauges count them without this app importing them. Name -> model with `status`.
DELIVERY_CONSUMERS: dict[str, Any] = {}


def delivery_consumer_register(name: str, model: Any) -> None:
    DELIVERY_CONSUMERS[name] = model


class BacklogCollector:
    """Events waiting, counted at scrape time from Postgres: unpublished outbox events and the age of the
    oldest, and pending / given-up deliveries per consumer. (Due bookings: ManualReviewCollector.)"""

    NAMES = (
        ("maitre_outbox_unpublished_events", "Outbox events not relayed yet."),
        ("maitre_outbox_oldest_unpublished_age_seconds", "Age of the oldest outbox event not relayed yet."),
    )
    DELIVERY_NAMES = (
        ("maitre_event_deliveries_pending", "Deliveries waiting for a (next) try, by consumer."),
        (
            "maitre_event_deliveries_failed",
            "Deliveries given up, by consumer (the admin can redeliver them).",
        ),
        (
            "maitre_event_deliveries_oldest_pending_age_seconds",
            "Age of the oldest pending delivery, by consumer.",
        ),
    )

    def describe(self):
        from prometheus_client.core import GaugeMetricFamily

        for name, doc in self.NAMES:
            yield GaugeMetricFamily(name, doc)
        for name, doc in self.DELIVERY_NAMES:
            yield GaugeMetricFamily(name, doc, labels=["consumer"])

    def collect(self):
        try:
            families = self._families()
        except Exception:  # a scrape must not fail because the database is away
            return
        yield from families

    def _families(self):
        from django.db.models import Count, Min
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        from assignments.models import DeliveryStatus, EmailDelivery, FloorHealDelivery, OutboxEvent

        now = timezone.now()

        def age(oldest):
            return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0

        outbox = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(
            n=Count("pk"), oldest=Min("created_at")
        )
        values = [outbox["n"], age(outbox["oldest"])]
        families = []
        for (name, doc), value in zip(self.NAMES, values):
            family = GaugeMetricFamily(name, doc)
            family.add_metric([], value)
            families.append(family)
        consumers = {"email": EmailDelivery, "floor_heal": FloorHealDelivery, **DELIVERY_CONSUMERS}
        delivery_families = [
            GaugeMetricFamily(name, doc, labels=["consumer"]) for name, doc in self.DELIVERY_NAMES
        ]
        for consumer, model in consumers.items():
            pending = model.objects.filter(status=DeliveryStatus.PENDING).aggregate(
                n=Count("pk"), oldest=Min("created_at")
            )
            failed = model.objects.filter(status=DeliveryStatus.FAILED).count()
            for family, value in zip(delivery_families, (pending["n"], failed, age(pending["oldest"]))):
                family.add_metric([consumer], value)
        return families + delivery_families
