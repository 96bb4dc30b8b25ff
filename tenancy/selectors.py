"""Which restaurants a user may see. The one rule behind every scoped API view, stream and admin list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from assignments.models import Restaurant
from tenancy.models import FLOOR_ROLES, Membership


def restaurants_for_user(user) -> QuerySet[Restaurant]:
    """The restaurants the user is a member of; every restaurant for a superuser; none for anyone else
    (anonymous or inactive users included)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Restaurant.objects.none()
    if user.is_superuser:
        return Restaurant.objects.all()
    return Restaurant.objects.filter(memberships__user=user)


def restaurant_ids_for_user(user) -> QuerySet:
    """The same rule as ids, for `restaurant_id__in=` filters."""
    return restaurants_for_user(user).values("pk")


def user_can_see_restaurant(user, restaurant_id: int) -> bool:
    return restaurants_for_user(user).filter(pk=restaurant_id).exists()


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def user_has_role(user, restaurant_id: int, roles: Iterable[str]) -> bool:
    """Whether the user's membership of the restaurant has one of these roles; a superuser always has."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, restaurant_id=restaurant_id, role__in=list(roles)).exists()


def user_has_role_anywhere(user, roles: Iterable[str]) -> bool:
    """Whether the user has one of these roles at any restaurant (the API's first, cheap check)."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=list(roles)).exists()


def restaurant_ids_with_role(user, roles: Iterable[str]) -> set[int] | None:
    """The restaurants where the user holds one of these roles; None (every one) for a superuser."""
    if not _active(user):
        return set()
    if user.is_superuser:
        return None
    return set(
        Membership.objects.filter(user=user, role__in=list(roles)).values_list("restaurant_id", flat=True)
    )


def members_of_restaurants_of(user) -> QuerySet:
    """The users who are members of one of the user's restaurants (whom its staff may pick as an owner)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__restaurant__in=restaurant_ids_for_user(user))
        .distinct()
        .order_by("username")
    )


def user_roles(user, restaurant_id: int | None = None) -> list[str]:
    """The user's roles (at one restaurant, or anywhere), to say why an action is refused."""
    if not _active(user):
        return []
    rows = Membership.objects.filter(user=user)
    if restaurant_id is not None:
        rows = rows.filter(restaurant_id=restaurant_id)
    return sorted(set(rows.values_list("role", flat=True)))


def user_works_the_floor(user, restaurant_id: int) -> bool:
    """Whether the user is a host or a manager of the restaurant (who may seat parties, complete them, mark
    no-shows and seat walk-ins); a superuser everywhere."""
    return user_has_role(user, restaurant_id, FLOOR_ROLES)
