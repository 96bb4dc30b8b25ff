from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Assignments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import sys

        from django.db.models.signals import post_delete, post_save

        from assignments import checks  # noqa: F401  (registers the settings check)
        from assignments.models import Table, TableAdjacency, Zone
        from assignments.services.floor import floor_touch_for_instance

        for model in (Table, TableAdjacency, Zone):
            post_save.connect(
                floor_touch_for_instance, sender=model, dispatch_uid=f"floor-touch-save-{model.__name__}"
            )
            post_delete.connect(
                floor_touch_for_instance, sender=model, dispatch_uid=f"floor-touch-del-{model.__name__}"
            )

        from assignments.models import ScheduleException, WeeklyService
        from assignments.services.schedule import schedule_touch_for_instance

        for model in (WeeklyService, ScheduleException):
            post_save.connect(
                schedule_touch_for_instance,
                sender=model,
                dispatch_uid=f"schedule-touch-save-{model.__name__}",
            )
            post_delete.connect(
                schedule_touch_for_instance, sender=model, dispatch_uid=f"schedule-touch-del-{model.__name__}"
            )

        from assignments.services.heal import on_tables_freed
        from assignments.signals import tables_freed

        tables_freed.connect(on_tables_freed, dispatch_uid="floor-heal")

        from prometheus_client import REGISTRY

        from assignments.metrics import BacklogCollector, ManualReviewCollector

        if not getattr(REGISTRY, "_maitre_review_collector", False):
            REGISTRY.register(ManualReviewCollector())
            REGISTRY.register(BacklogCollector())
            REGISTRY._maitre_review_collector = True
        from django.conf import settings

        if settings.EMBEDDED and "runserver" in sys.argv:
            # `make run` without Redis: process bookings in this process (the autoreloader's child only).
            import os

            if os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv:
                from assignments.embedded import start_inprocess_worker

                start_inprocess_worker()
