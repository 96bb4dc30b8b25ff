"""Staff accounts the project itself creates: the demo's ops user."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Permission
from django.db import transaction
from django.db.models import Q

# What a host or an ops person needs in the admin: see every booking-related row, and work the review queue.
OPS_APPS = ("assignments", "availability", "optimization")
ASSIGN_PERMISSION = ("assignments", "assign_booking")
SERVE_PERMISSION = ("assignments", "serve_booking")


def ops_permissions():
    return Permission.objects.filter(
        Q(content_type__app_label__in=OPS_APPS, codename__startswith="view_")
        | Q(content_type__app_label=ASSIGN_PERMISSION[0], codename=ASSIGN_PERMISSION[1])
        | Q(content_type__app_label=SERVE_PERMISSION[0], codename=SERVE_PERMISSION[1])
    )


@transaction.atomic
def staff_user_ensure(*, username: str, restaurant=None) -> tuple[AbstractUser, str | None]:
    """The staff user `username` with the ops permissions, a manager of `restaurant` (the admin shows a user
    only the restaurants they belong to). Created with a fresh random password, returned once so that it can
    be shown once; an existing user keeps its password and permissions (None is returned)."""
    from tenancy.models import Role
    from tenancy.services import membership_grant

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password, is_staff=True)
        user.user_permissions.add(*ops_permissions())
    if restaurant is not None and user.is_staff and not user.is_superuser:
        membership_grant(user=user, restaurant=restaurant, role=Role.MANAGER)
    return user, password
