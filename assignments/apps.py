from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Assignments"
    default_auto_field = "django.db.models.BigAutoField"
