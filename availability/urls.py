from django.urls import path

from availability.api.views import AvailabilityApi, AvailabilityStreamApi, HoldCreateApi, HoldDetailApi

urlpatterns = [
    path("holds", HoldCreateApi.as_view(), name="hold-create"),
    path("holds/<int:hold_id>", HoldDetailApi.as_view(), name="hold-detail"),
    path("availability", AvailabilityApi.as_view(), name="availability"),
    path("availability/stream", AvailabilityStreamApi.as_view(), name="availability-stream"),
]
