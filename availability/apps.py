from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "availability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assignments.signals import allocations_changed
        from availability.invalidation import on_allocations_changed

        allocations_changed.connect(on_allocations_changed, dispatch_uid="availability-allocations-changed")
