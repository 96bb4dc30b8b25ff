from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand, scenario_from_file
from assignments.scenario import ScenarioError
from assignments.services.scenarios import scenario_import


class Command(MaitreCommand):
    help = "Import a scenario/v1 JSON file (floor plan + the day's bookings as pending) in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file", help="scenario/v1 JSON file")
        parser.add_argument("--replace", action="store_true", help="Replace a restaurant with the same slug.")
        parser.add_argument("--slug", help="Restaurant slug (default: from the scenario name).")

    def handle(self, *args, file, replace, slug, **options):
        scenario = scenario_from_file(file)
        try:
            restaurant = scenario_import(scenario=scenario, replace=replace, slug=slug)
        except ScenarioError as exc:
            raise CommandError(f"{file}: {exc.field}: {exc.reason}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {restaurant.slug}: {len(scenario.zones)} zones, {len(scenario.tables)} tables, "
                f"{len(scenario.adjacency)} adjacencies, {len(scenario.bookings)} bookings "
                f"({scenario.covers_requested} covers) on {scenario.restaurant.date}"
            )
        )
