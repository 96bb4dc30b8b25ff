from django.urls import path

from assignments.api import holds, views, walk_ins

urlpatterns = [
    path("bookings", views.BookingCreateApi.as_view(), name="booking-create"),
    path("bookings/<int:pk>", views.BookingDetailApi.as_view(), name="booking-detail"),
    path("bookings/<int:pk>/cancel", views.BookingCancelApi.as_view(), name="booking-cancel"),
    path("walk-ins", walk_ins.WalkInApi.as_view(), name="walk-in-create"),
    path("assignments/process", views.ProcessAssignmentApi.as_view(), name="assignment-process"),
    path("holds", holds.HoldCreateApi.as_view(), name="hold-create"),
    path("holds/<int:hold_id>", holds.HoldDetailApi.as_view(), name="hold-detail"),
]
