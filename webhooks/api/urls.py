from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("subscriptions", views.SubscriptionListApi.as_view(), name="webhook-subscriptions"),
    path("subscriptions/<int:pk>", views.SubscriptionDetailApi.as_view(), name="webhook-subscription"),
    path(
        "subscriptions/<int:pk>/deliveries",
        views.SubscriptionDeliveriesApi.as_view(),
        name="webhook-deliveries",
    ),
]
