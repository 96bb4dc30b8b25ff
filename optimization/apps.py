from django.apps import AppConfig


class OptimizationConfig(AppConfig):
    name = "optimization"
    default_auto_field = "django.db.models.BigAutoField"
