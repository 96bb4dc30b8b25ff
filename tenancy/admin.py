"""Admin scoping: staff see and act on the restaurants they are members of (superusers on all).

`RestaurantScopedAdminMixin` filters a ModelAdmin's queryset (lists, change pages, bulk actions, which all
start from get_queryset) and the restaurant choices of its forms. Set `restaurant_field` to the lookup from
the model to its restaurant ("restaurant", "booking__restaurant", or "" for Restaurant itself).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from assignments.models import Restaurant
from tenancy.models import Membership
from tenancy.selectors import restaurant_ids_for_user, restaurants_for_user


def scope_queryset(qs, user, restaurant_field: str = "restaurant"):
    """The rows of qs whose restaurant the user may see."""
    if user.is_superuser:
        return qs
    lookup = f"{restaurant_field}__in" if restaurant_field else "pk__in"
    return qs.filter(**{lookup: restaurant_ids_for_user(user)})


class RestaurantScopedAdminMixin:
    restaurant_field = "restaurant"
    model: type[models.Model]  # the ModelAdmin's

    def scope(self, request, qs):
        return scope_queryset(qs, request.user, self.restaurant_field)

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def _scoped_relation(self, name) -> bool:
        """Whether the model's field `name` points at a restaurant, or at a row of one (a zone, a table)."""
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        related = getattr(field, "related_model", None)
        return related is Restaurant or any(
            getattr(f, "related_model", None) is Restaurant and f.name == "restaurant"
            for f in getattr(getattr(related, "_meta", None), "fields", ())
        )

    def get_list_filter(self, request):
        # Only the restaurants, zones and tables in the scoped rows, never the names of every tenant's.
        return [
            (f, admin.RelatedOnlyFieldListFilter) if isinstance(f, str) and self._scoped_relation(f) else f
            for f in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The choices: the user's restaurants, and only their zones and tables (not another tenant's names).
        if not request.user.is_superuser and self._scoped_relation(db_field.name):
            related = db_field.related_model
            kwargs["queryset"] = (
                restaurants_for_user(request.user)
                if related is Restaurant
                else related._default_manager.filter(restaurant__in=restaurant_ids_for_user(request.user))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "restaurant", "role", "created_at")
    list_filter = ("role", "restaurant")
    search_fields = ("user__username", "restaurant__slug", "restaurant__name")
    list_select_related = ("user", "restaurant")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
