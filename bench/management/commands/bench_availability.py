import json
import re

from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand, non_negative_int, positive_int, scenario_from_file
from assignments.management.progress import CommandProgress
from bench import availability as bench


class Command(MaitreCommand):
    help = (
        "Import a scenario (replacing its restaurant), seat part of the day, then measure availability: one slot "
        "and a whole day's grid, warm and cold, and staleness from a confirm's commit to the first snapshot that "
        "shows it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="scenario/v1 JSON file (its restaurant is replaced)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--seat", type=non_negative_int, default=None, help="bookings to seat first (default: half)"
        )
        parser.add_argument(
            "--party-size", type=positive_int, default=4, help="party size to ask availability for"
        )
        parser.add_argument("--slot", default="19:30", help="the slot measured alone, HH:MM local")
        parser.add_argument(
            "--iterations", type=positive_int, default=1000, help="warm measurements per series"
        )
        parser.add_argument(
            "--cold-iterations", type=positive_int, default=200, help="cold measurements per series"
        )
        parser.add_argument(
            "--changes", type=positive_int, default=100, help="confirms (and cancels) timed for staleness"
        )

    def handle(self, *args, **o):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", o["slot"]):
            raise CommandError(f"--slot: not a time HH:MM: {o['slot']!r}")
        scenario = scenario_from_file(o["file"])
        seat = o["seat"] if o["seat"] is not None else len(scenario.bookings) // 2
        if seat > len(scenario.bookings):
            raise CommandError(
                f"--seat: the scenario has {len(scenario.bookings)} bookings, cannot seat {seat}"
            )
        with CommandProgress(self, json=o["json"]) as progress:
            r = bench.run(
                scenario=scenario,
                seat=seat,
                party_size=o["party_size"],
                slot=o["slot"],
                iterations=o["iterations"],
                cold_iterations=o["cold_iterations"],
                changes=o["changes"],
                progress=progress.phase,
                step=progress.update,
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
