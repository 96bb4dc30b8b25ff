import json

from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand, day_from_option, restaurant_from_ref, writable_path
from assignments.services.scenarios import scenario_export


class Command(MaitreCommand):
    help = "Write a restaurant's floor and one day's bookings as scenario/v1 JSON."

    def add_arguments(self, parser):
        parser.add_argument("restaurant", help="Restaurant slug.")
        parser.add_argument("--date", help="Service day YYYY-MM-DD (default: the day of the first booking).")
        parser.add_argument("--out", help="File to write (default: standard output).")

    def handle(self, *args, restaurant, date: str | None, out, **options):
        r = restaurant_from_ref(restaurant)
        day = day_from_option(date, "--date") if date else None
        text = json.dumps(scenario_export(restaurant=r, day=day), indent=2) + "\n"
        if out:
            try:
                writable_path(out).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
            self.stderr.write(f"Wrote {out}")
        else:
            self.stdout.write(text, ending="")
