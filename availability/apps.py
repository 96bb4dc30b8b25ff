from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "availability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assignments.signals import (
            allocations_changed,
            restaurant_hours_changed,
            restaurant_timezone_changed,
        )
        from availability.invalidation import (
            on_allocations_changed,
            on_restaurant_hours_changed,
            on_restaurant_timezone_changed,
        )

        allocations_changed.connect(on_allocations_changed, dispatch_uid="availability-allocations-changed")
        restaurant_timezone_changed.connect(
            on_restaurant_timezone_changed, dispatch_uid="availability-timezone-changed"
        )
        restaurant_hours_changed.connect(
            on_restaurant_hours_changed, dispatch_uid="availability-hours-changed"
        )
