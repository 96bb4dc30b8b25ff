"""Floor versioning: every change to a table, zone or adjacency gives the restaurant a new floor_version, a value
never used before (models.floor.version_fresh), which keys the in-process floor cache (assignments.context) and
availability's snapshots in Redis (availability.selectors)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from assignments.models import Restaurant, Table
from assignments.models.floor import version_fresh


def floor_touch(*, restaurant_id: int) -> None:
    """A new floor version, never used before: should this transaction roll back after reading (and caching) its
    floor under it, the next change does not reach it again."""
    Restaurant.objects.filter(pk=restaurant_id).update(floor_version=version_fresh())


def floor_touch_for_instance(sender, instance, **kwargs) -> None:
    """Connected to post_save/post_delete of Table, Zone and TableAdjacency: a cache key, not business logic."""
    if kwargs.get("raw"):
        return
    restaurant_id = getattr(instance, "restaurant_id", None)
    if restaurant_id:
        floor_touch(restaurant_id=restaurant_id)


def table_save(*, table: Table, created: bool, changed: Iterable[str] = ()) -> Table:
    """Save a table edited by staff. A table added in service or put back in service frees time on every
    coming day, so the floor may heal itself (services.heal) once this commits."""
    from assignments.services.freed import table_in_service_on_commit

    with transaction.atomic():
        table.save()
        if table.active and (created or "active" in set(changed)):
            table_in_service_on_commit(table=table)
    return table
