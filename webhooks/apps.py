from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assignments.metrics import delivery_consumer_register
        from webhooks.models import WebhookDelivery

        delivery_consumer_register(
            "webhook", WebhookDelivery
        )  # the outbox backlog gauges count its deliveries
