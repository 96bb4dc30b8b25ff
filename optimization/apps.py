from django.apps import AppConfig


class OptimizationConfig(AppConfig):
    name = "optimization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assignments.reseating import reseater_register
        from optimization.reseating import CpSatReseater

        reseater_register(CpSatReseater())  # the coordinator's last try before review, the console's proposal
