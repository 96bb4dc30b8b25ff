"""Telling people: the guest when their booking is confirmed, ops when one needs a person."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from assignments.models import Booking, OutboxEvent


def notification_send_for_event(*, event_id: int) -> int:
    """Send the e-mail an event calls for; returns how many messages went out."""
    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None or event.aggregate_type != "booking":
        return 0
    booking = Booking.objects.select_related("restaurant").filter(pk=event.aggregate_id).first()
    if booking is None:
        return 0
    when = booking.start_at.astimezone(booking.restaurant.tzinfo).strftime("%A %d %B at %H:%M")
    if event.event_type == "booking.confirmed":
        if not booking.guest_email:
            return 0
        tables = ", ".join(event.payload.get("tables", []))
        return send_mail(
            f"Your table at {booking.restaurant.name} is confirmed",
            f"Hello {booking.guest_name or 'there'},\n\nYour table for {booking.party_size} on {when} is confirmed"
            f"{f' (table {tables})' if tables else ''}.\n\nSee you soon,\n{booking.restaurant.name}",
            settings.DEFAULT_FROM_EMAIL,
            [booking.guest_email],
        )
    if event.event_type == "booking.manual_review":
        recipients = settings.OPS_NOTIFICATION_EMAILS
        if not recipients:
            return 0
        return send_mail(
            f"[{booking.restaurant.name}] booking needs a person: {booking}",
            f"Booking {booking} for {booking.party_size} on {when} could not be seated automatically.\n"
            f"Reason: {event.payload.get('reason', 'unknown')}\nOpen the review queue in the admin.",
            settings.DEFAULT_FROM_EMAIL,
            list(recipients),
        )
    return 0
