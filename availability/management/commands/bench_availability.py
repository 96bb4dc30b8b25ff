import json

from django.core.management.base import BaseCommand, CommandError

from assignments.scenario import ScenarioError, load_scenario
from availability import bench


class Command(BaseCommand):
    help = (
        "Import a scenario (replacing its restaurant), seat part of the day, then measure availability: one slot "
        "and a whole day's grid, warm and cold, and staleness from a confirm's commit to the first snapshot that "
        "shows it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--seat", type=int, default=None, help="bookings to seat first (default: half)")
        parser.add_argument("--party-size", type=int, default=4)
        parser.add_argument("--slot", default="19:30", help="HH:MM, local")
        parser.add_argument("--iterations", type=int, default=1000)
        parser.add_argument("--cold-iterations", type=int, default=200)
        parser.add_argument("--changes", type=int, default=100)

    def handle(self, *args, **o):
        try:
            scenario = load_scenario(o["file"])
        except (ScenarioError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        seat = o["seat"] if o["seat"] is not None else len(scenario.bookings) // 2
        progress = (lambda s: None) if o["json"] else (lambda s: self.stderr.write(s))
        r = bench.run(
            scenario=scenario, seat=seat, party_size=o["party_size"], slot=o["slot"], iterations=o["iterations"],
            cold_iterations=o["cold_iterations"], changes=o["changes"], progress=progress,
        )
        if o["json"]:
            self.stdout.write(json.dumps(r))
            return
        self.stdout.write(
            f"{r['scenario']}: {r['tables']} tables, {r['seated']}/{r['bookings']} bookings seated "
            f"({r['seat_seconds']} s), party of {r['party_size']}, slot {r['slot']}, {r['database']}, "
            f"{r['day_slots']} seatable slots\n"
        )
        rows = [
            ("one slot, warm", r["slot_warm"]),
            ("one slot, cold", r["slot_cold"]),
            ("day grid, warm", r["day_warm"]),
            ("day grid, cold", r["day_cold"]),
            ("GET /api/availability, warm", r["api_day_warm"]),
            ("staleness commit->snapshot", r["staleness"]),
            ("commit->subscriber event", r["commit_to_event"]),
        ]
        self.stdout.write(f"{'measure':<30}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
        for name, s in rows:
            self.stdout.write(
                f"{name:<30}{s.get('n', 0):>6}{s.get('p50_ms', '-'):>10}{s.get('p99_ms', '-'):>10}{s.get('max_ms', '-'):>10}"
            )
        if r["staleness_misses"]:
            self.stdout.write(f"changes never seen within 5 s: {r['staleness_misses']}")
