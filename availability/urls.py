from django.urls import path

from availability.api.views import AvailabilityApi, AvailabilityStreamApi

urlpatterns = [
    path("availability", AvailabilityApi.as_view(), name="availability"),
    path("availability/stream", AvailabilityStreamApi.as_view(), name="availability-stream"),
]
