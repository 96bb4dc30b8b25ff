"""A booking and its state machine. Only assignments.lifecycle moves a booking between states."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition


class BookingState(models.TextChoices):
    PENDING = "pending", "Pending"
    ASSIGNMENT_PENDING = "assignment_pending", "Assignment pending"
    CONFIRMED = "confirmed", "Confirmed"
    MANUAL_REVIEW = "manual_review", "Manual review"
    CANCELLED = "cancelled", "Cancelled"
    SEATED = "seated", "Seated"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


# Bookings still ahead or at the table: they hold (or wait for) table time.
LIVE_STATES = (
    BookingState.PENDING,
    BookingState.ASSIGNMENT_PENDING,
    BookingState.CONFIRMED,
    BookingState.MANUAL_REVIEW,
    BookingState.SEATED,
)
# A party that sat down can no longer be cancelled: it is completed (it left) instead.
CANCELLABLE_STATES = tuple(s for s in LIVE_STATES if s != BookingState.SEATED)
# Finished: nothing moves them any more.
FINAL_STATES = (BookingState.CANCELLED, BookingState.COMPLETED, BookingState.NO_SHOW)

# The API's legacy `status` (README, "The booking state machine"); every state not named here is "pending".
LEGACY_STATUS = {
    BookingState.CONFIRMED: "confirmed",
    BookingState.CANCELLED: "cancelled",
    BookingState.SEATED: "seated",
    BookingState.COMPLETED: "completed",
    BookingState.NO_SHOW: "no_show",
}
LEGACY_STATUSES = ("pending", *dict.fromkeys(LEGACY_STATUS.values()))


class Booking(FSMModelMixin, models.Model):
    restaurant = models.ForeignKey(
        "assignments.Restaurant", on_delete=models.PROTECT, related_name="bookings"
    )
    external_ref = models.CharField(
        max_length=100, null=True, blank=True, help_text="The booking platform's id."
    )
    guest_name = models.CharField(max_length=200, blank=True)
    guest_email = models.EmailField(blank=True)
    guest_phone = models.CharField(
        max_length=16,
        blank=True,
        default="",
        db_default="",  # kept in the table: the release before it inserts bookings without it during a deploy
        help_text="How to call the guest: E.164 (+447700900123) with a country code, else the digits as given.",
    )
    request_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",  # kept in the table: the release before it inserts bookings without it during a deploy
        help_text="SHA-256 of the platform's create request as it was checked: a retry with the same "
        "external_ref is the same request when it hashes alike, whatever was changed since.",
    )
    party_size = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(help_text="End of the seating, without the buffer.")
    explicit_duration = models.BooleanField(default=False, help_text="False: end_at came from the turn time.")
    preferred_zone = models.ForeignKey(
        "assignments.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_accessible = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    arrival = models.PositiveIntegerField(
        null=True, blank=True, help_text="Order the request reached us (imports)."
    )

    state = FSMField(
        default=BookingState.PENDING, choices=BookingState.choices, protected=True, db_index=True
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Counts state changes; every transition checks it."
    )
    assignment_attempts = models.PositiveIntegerField(default=0)
    assigned_at = models.DateTimeField(null=True, blank=True)
    assignment_strategy = models.CharField(max_length=64, blank=True)
    last_correlation_id = models.CharField(max_length=64, blank=True)
    # The queue of record: a booking in assignment_pending whose due_at has passed is work for the pipeline
    # (first try, or the next retry after a backoff). Wake-up messages only make workers look sooner.
    due_at = models.DateTimeField(null=True, blank=True, help_text="When the pipeline should next try it.")
    service_date = models.DateField(
        null=True, blank=True, help_text="The restaurant's service day it belongs to."
    )
    # The service itself (seated -> completed, or no-show): when the party came and went.
    arrived_at = models.DateTimeField(null=True, blank=True, help_text="When the host seated the party.")
    arrived_late = models.BooleanField(
        default=False, help_text="Seated after its start plus the restaurant's late tolerance."
    )
    left_at = models.DateTimeField(null=True, blank=True, help_text="When the party left (completed).")
    # The floor healed itself (assignments.services.heal): offered freed tables while `version` == heal_version,
    # for one attempt; any later state change makes the mark stale by itself.
    heal_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    heal_cause = models.CharField(max_length=200, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [
            models.Index(fields=["restaurant", "start_at"]),
            models.Index(fields=["state", "start_at"]),
            models.Index(
                fields=["due_at", "restaurant", "service_date"],
                name="booking_due_work",
                condition=Q(state="assignment_pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["restaurant", "external_ref"],
                name="booking_unique_external_ref",
                condition=Q(external_ref__isnull=False),
            ),
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="booking_end_after_start"),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="booking_party_positive"),
        ]
        permissions = [
            ("assign_booking", "Can assign, retry and cancel bookings from the review queue"),
            ("serve_booking", "Can seat, complete and mark no-show bookings, and seat walk-ins"),
        ]

    def __str__(self) -> str:
        """Reference, party and start in the restaurant's own time (what the host reads on the floor)."""
        ref = self.external_ref or f"#{self.pk}"
        return f"{ref} ({self.party_size}p {self.local_start:%Y-%m-%d %H:%M})"

    @property
    def local_start(self):
        return self.start_at.astimezone(self.restaurant.tzinfo)

    @property
    def local_end(self):
        return self.end_at.astimezone(self.restaurant.tzinfo)

    @property
    def legacy_status(self) -> str:
        return LEGACY_STATUS.get(self.state, "pending")

    # The graph of the state machine. lifecycle.py checks these (can_proceed) and applies them after
    # its version-checked UPDATE succeeds; nothing else calls them.
    @transition(
        field=state,
        source=[BookingState.PENDING, BookingState.MANUAL_REVIEW, BookingState.CONFIRMED],
        target=BookingState.ASSIGNMENT_PENDING,
    )
    def request_assignment(self) -> None:
        """Queue for (re)assignment; from confirmed only when the booking was modified."""

    @transition(
        field=state,
        source=[BookingState.ASSIGNMENT_PENDING, BookingState.MANUAL_REVIEW],
        target=BookingState.CONFIRMED,
    )
    def confirm(self) -> None:
        """Seated with tables: by the coordinator, or by staff from review."""

    @transition(field=state, source=BookingState.ASSIGNMENT_PENDING, target=BookingState.MANUAL_REVIEW)
    def send_to_review(self) -> None:
        """No plan after the allowed attempts: a person decides."""

    @transition(field=state, source=list(CANCELLABLE_STATES), target=BookingState.CANCELLED)
    def cancel(self) -> None:
        """Cancelled by the guest, the platform or staff; its tables are released."""

    @transition(field=state, source=BookingState.CONFIRMED, target=BookingState.SEATED)
    def seat(self) -> None:
        """The party arrived and the host sat it at its tables (late or not is noted)."""

    @transition(field=state, source=BookingState.SEATED, target=BookingState.COMPLETED)
    def complete(self) -> None:
        """The party left; the rest of its tables' time is free."""

    @transition(field=state, source=BookingState.CONFIRMED, target=BookingState.NO_SHOW)
    def mark_no_show(self) -> None:
        """The party never came (a host says so, or the grace period ran out); its tables are free."""
