"""Who sits where, when: allocations of tables to bookings, holds or blocks over a time range (buffer included).

On Postgres an exclusion constraint (migration 0002) makes two overlapping allocations of one table
impossible; on SQLite the allocation service enforces the same rule inside an IMMEDIATE transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Hold(models.Model):
    """Tables kept for a short while (a guest in the booking widget) before a booking confirms."""

    restaurant = models.ForeignKey("assignments.Restaurant", on_delete=models.CASCADE, related_name="holds")
    booking = models.ForeignKey(
        "assignments.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )
    party_size = models.PositiveSmallIntegerField(null=True, blank=True)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(help_text="End of the window, buffer included.")
    expires_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="hold_end_after_start")
        ]

    def __str__(self) -> str:
        return f"Hold #{self.pk} until {self.expires_at:%H:%M:%S}"


class TableBlock(models.Model):
    """Tables taken out of service for a time range (a private event, a broken chair). Its allocation rows
    sit under the same exclusion constraint as bookings and holds, so the engine, availability and the
    optimizer see a blocked table as taken without knowing what a block is."""

    restaurant = models.ForeignKey(
        "assignments.Restaurant", on_delete=models.CASCADE, related_name="table_blocks"
    )
    reason = models.CharField(max_length=200)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="table_block_end_after_start")
        ]

    def __str__(self) -> str:
        tz = self.restaurant.tzinfo
        return f"Block #{self.pk} {self.start_at.astimezone(tz):%H:%M}-{self.end_at.astimezone(tz):%H:%M}: {self.reason}"


class TableAllocation(models.Model):
    restaurant = models.ForeignKey(
        "assignments.Restaurant", on_delete=models.CASCADE, related_name="allocations"
    )
    table = models.ForeignKey("assignments.Table", on_delete=models.PROTECT, related_name="allocations")
    booking = models.ForeignKey(
        "assignments.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="allocations"
    )
    hold = models.ForeignKey(
        "assignments.Hold", null=True, blank=True, on_delete=models.CASCADE, related_name="allocations"
    )
    block = models.ForeignKey(
        "assignments.TableBlock", null=True, blank=True, on_delete=models.CASCADE, related_name="allocations"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(help_text="End of the seating plus the buffer.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["table", "start_at"]
        indexes = [
            models.Index(fields=["restaurant", "start_at", "end_at"]),
            models.Index(fields=["table", "start_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="allocation_end_after_start"),
            models.CheckConstraint(
                condition=(
                    Q(booking__isnull=False, hold__isnull=True, block__isnull=True)
                    | Q(booking__isnull=True, hold__isnull=False, block__isnull=True)
                    | Q(booking__isnull=True, hold__isnull=True, block__isnull=False)
                ),
                name="allocation_one_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = (
            f"booking {self.booking_id}"
            if self.booking_id
            else f"hold {self.hold_id}"
            if self.hold_id
            else f"block {self.block_id}"
        )
        return f"{self.table} {self.start_at:%H:%M}-{self.end_at:%H:%M} ({owner})"
