from django.core.management.base import BaseCommand, CommandError

from assignments.scenario import ScenarioError, load_scenario
from assignments.services.scenarios import scenario_import


class Command(BaseCommand):
    help = "Import a scenario/v1 JSON file (floor plan + the day's bookings as pending) in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--replace", action="store_true", help="Replace a restaurant with the same slug.")
        parser.add_argument("--slug", help="Restaurant slug (default: from the scenario name).")

    def handle(self, *args, file, replace, slug, **options):
        try:
            scenario = load_scenario(file)
            restaurant = scenario_import(scenario=scenario, replace=replace, slug=slug)
        except FileNotFoundError as exc:
            raise CommandError(f"{file}: no such file") from exc
        except ScenarioError as exc:
            raise CommandError(f"{file}: {exc.field}: {exc.reason}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {restaurant.slug}: {len(scenario.zones)} zones, {len(scenario.tables)} tables, "
                f"{len(scenario.adjacency)} adjacencies, {len(scenario.bookings)} bookings "
                f"({scenario.covers_requested} covers) on {scenario.restaurant.date}"
            )
        )
