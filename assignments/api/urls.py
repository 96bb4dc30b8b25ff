from django.urls import path

from assignments.api import floor, holds, views, walk_ins

urlpatterns = [
    path("bookings", views.BookingCreateApi.as_view(), name="booking-create"),
    path("bookings/<int:pk>", views.BookingDetailApi.as_view(), name="booking-detail"),
    path("bookings/<int:pk>/cancel", views.BookingCancelApi.as_view(), name="booking-cancel"),
    path("bookings/<int:pk>/seat", floor.BookingSeatApi.as_view(), name="booking-seat"),
    path("bookings/<int:pk>/complete", floor.BookingCompleteApi.as_view(), name="booking-complete"),
    path("bookings/<int:pk>/no-show", floor.BookingNoShowApi.as_view(), name="booking-no-show"),
    path("walk-ins", walk_ins.WalkInApi.as_view(), name="walk-in-create"),
    path("assignments/process", views.ProcessAssignmentApi.as_view(), name="assignment-process"),
    path("holds", holds.HoldCreateApi.as_view(), name="hold-create"),
    path("holds/<int:hold_id>", holds.HoldDetailApi.as_view(), name="hold-detail"),
]
