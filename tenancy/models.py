"""A membership grants one user (a booking platform's API client or a staff member) one restaurant, with a role.

Every API read and write and every admin list is scoped through these rows (tenancy.selectors); superusers
see every restaurant without one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    PLATFORM = "platform", "Booking platform (API client)"
    MANAGER = "manager", "Manager"
    HOST = "host", "Host"


# What each role may do over the API (assignments.api.permissions enforces it; README, "API": roles). A booking
# platform takes reservations; hosts work the floor; a manager does both. Every role reads.
BOOKING_ROLES: frozenset[str] = frozenset(
    {Role.PLATFORM, Role.MANAGER}
)  # create, modify, cancel, (re)process, hold tables
FLOOR_ROLES: frozenset[str] = frozenset({Role.HOST, Role.MANAGER})  # walk-ins; seat, complete, mark no-show
# Webhook subscriptions (list, create, change, delete, read deliveries): what a platform integrates with, and
# managers; a host stand has no use for signing secrets. The same set as BOOKING_ROLES, named for its own rule.
WEBHOOK_ROLES: frozenset[str] = frozenset({Role.PLATFORM, Role.MANAGER})


class Membership(models.Model):
    kept_when_restaurant_replaced = True  # a scenario import with --replace keeps who may use the restaurant
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    restaurant = models.ForeignKey(
        "assignments.Restaurant", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PLATFORM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["restaurant", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "restaurant"], name="membership_unique_user_restaurant")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.restaurant} ({self.role})"
