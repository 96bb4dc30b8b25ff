"""Roles restrict what a client may do at a restaurant (the matrix: tenancy.models BOOKING_ROLES, FLOOR_ROLES).

A view names the roles its writes need (`required_roles`); reading needs only membership. The check runs twice,
the DRF way: before the view (the client has one of the roles at some restaurant, else a 403 at once) and on the
restaurant the action is about (the view calls `check_object_permissions` with the booking or the restaurant,
after the tenancy scoping, so another tenant's booking stays a 404). Superusers may do everything.
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


def refusal(roles: frozenset[str], held: list[str], *, here: bool) -> str:
    """The 403's detail: who may, and the role the caller has (there, or anywhere)."""
    who = WHO_MAY.get(roles) or "This needs the role " + " or ".join(sorted(roles))
    if not held:
        return f"{who}; you have no such role."
    labels = dict(Role.choices)
    return f"{who}; your role{' here' if here else ''} is {', '.join(str(labels.get(r, r)) for r in held)}."


class HasRoleForAction(BasePermission):
    """The caller has one of the view's `required_roles` for unsafe methods; any member may read."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        roles = getattr(view, "required_roles", None)
        if roles is None or request.method in SAFE_METHODS:
            return True
        if user_has_role_anywhere(request.user, roles):
            return True
        self.message = refusal(roles, user_roles(request.user), here=False)
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        roles = getattr(view, "required_roles", None)
        if roles is None or request.method in SAFE_METHODS:
            return True
        restaurant_id = obj.pk if isinstance(obj, Restaurant) else obj.restaurant_id
        if user_has_role(request.user, restaurant_id, roles):
            return True
        self.message = refusal(roles, user_roles(request.user, restaurant_id), here=True)
        return False
