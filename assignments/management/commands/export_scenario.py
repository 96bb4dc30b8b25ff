import json
from datetime import date as Date

from django.core.management.base import BaseCommand, CommandError

from assignments.models import Restaurant
from assignments.services.scenarios import scenario_export


class Command(BaseCommand):
    help = "Write a restaurant's floor and one day's bookings as scenario/v1 JSON."

    def add_arguments(self, parser):
        parser.add_argument("restaurant", help="Restaurant slug.")
        parser.add_argument("--date", help="Service day YYYY-MM-DD (default: the day of the first booking).")
        parser.add_argument("--out", help="File to write (default: standard output).")

    def handle(self, *args, restaurant, date: str | None, out, **options):
        try:
            r = Restaurant.objects.get(slug=restaurant)
        except Restaurant.DoesNotExist as exc:
            raise CommandError(f"No restaurant with slug {restaurant!r}") from exc
        try:
            day = Date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date: not a date: {date!r}") from exc
        text = json.dumps(scenario_export(restaurant=r, day=day), indent=2) + "\n"
        if out:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"Wrote {out}")
        else:
            self.stdout.write(text, ending="")
