"""Which restaurants a user may see. The one rule behind every scoped API view, stream and admin list."""

from __future__ import annotations

from django.db.models import QuerySet

from assignments.models import Restaurant


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


def user_works_the_floor(user, restaurant_id: int) -> bool:
    """Whether the user is a host or a manager of the restaurant (who may seat parties, complete them, mark
    no-shows and seat walk-ins); a superuser everywhere."""
    from tenancy.models import Membership, Role

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, restaurant_id=restaurant_id, role__in=(Role.HOST, Role.MANAGER)
    ).exists()
