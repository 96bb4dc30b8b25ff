from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy: who may see which restaurant"
    default_auto_field = "django.db.models.BigAutoField"
