"""Holds as the API reads them: scoped to the restaurants a caller may see and, but for a superuser, its own."""

from __future__ import annotations

from django.db.models import QuerySet

from assignments.models import Hold


def hold_of_client(*, pk: int, restaurant_ids: QuerySet | list[int], user) -> Hold:
    """A hold the client may release: its own, at one of its restaurants (any there for a superuser).
    Hold.DoesNotExist (a 404) for another client's or another tenant's."""
    holds = Hold.objects.select_related("restaurant").filter(restaurant_id__in=restaurant_ids)
    if not user.is_superuser:
        holds = holds.filter(created_by=user)
    return holds.get(pk=pk)
