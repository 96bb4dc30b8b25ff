"""Roles restrict what a client may do at a restaurant (the matrix: tenancy.models BOOKING_ROLES, FLOOR_ROLES).

A view names the roles its writes need (`required_roles`); reading needs only membership, unless the view sets
`roles_guard_reads` (webhook subscriptions: their secrets are not for every member). The check runs twice, the
DRF way: before the view (the client has one of the roles at some restaurant, else a 403 at once) and on the
restaurant the action is about (the view calls `check_object_permissions` with the booking, the restaurant or the
subscription, after the tenancy scoping, so another tenant's booking stays a 404; an object of no single
restaurant, a subscription to all of them, needs the role at some restaurant). A view may name who may in its
own words (`who_may`). Superusers may do everything.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from assignments.models import Restaurant
from tenancy.models import BOOKING_ROLES, FLOOR_ROLES, Role
from tenancy.selectors import user_has_role, user_has_role_anywhere, user_roles

WHO_MAY: dict[frozenset[str], str] = {
    BOOKING_ROLES: "Bookings and holds are made, changed and cancelled by booking platforms and managers",
    FLOOR_ROLES: "Walk-ins, seating, completing and no-shows are for the restaurant's hosts and managers",
}


def refusal(roles: frozenset[str], held: list[str], *, here: bool, who: str | None = None) -> str:
    """The 403's detail: who may, and the role the caller has (there, or anywhere)."""
    who = who or WHO_MAY.get(roles) or "This needs the role " + " or ".join(sorted(roles))
    if not held:
        return f"{who}; you have no such role."
    labels = dict(Role.choices)
    return f"{who}; your role{' here' if here else ''} is {', '.join(str(labels.get(r, r)) for r in held)}."


def _roles_for(request, view) -> frozenset[str] | None:
    """The roles this request needs, or None when any member may (reads, unless the view guards them)."""
    roles = getattr(view, "required_roles", None)
    if request.method in SAFE_METHODS and not getattr(view, "roles_guard_reads", False):
        return None
    return roles


class HasRoleForAction(BasePermission):
    """The caller has one of the view's `required_roles` for unsafe methods (and reads, when the view guards
    them); any member may read."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        roles = _roles_for(request, view)
        if roles is None or user_has_role_anywhere(request.user, roles):
            return True
        self.message = refusal(
            roles, user_roles(request.user), here=False, who=getattr(view, "who_may", None)
        )
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        roles = _roles_for(request, view)
        if roles is None:
            return True
        restaurant_id = obj.pk if isinstance(obj, Restaurant) else obj.restaurant_id
        if restaurant_id is None:  # of no single restaurant: the role at some restaurant will do
            return self.has_permission(request, view)
        if user_has_role(request.user, restaurant_id, roles):
            return True
        self.message = refusal(
            roles, user_roles(request.user, restaurant_id), here=True, who=getattr(view, "who_may", None)
        )
        return False
