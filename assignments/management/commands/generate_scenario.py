"""manage.py generate_scenario: write a realistic scenario/v1 day, deterministic per seed."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assignments.scenario import parse_scenario
from assignments.scenario_gen import generate_scenario


class Command(BaseCommand):
    help = "Generate a scenario/v1 JSON file: floor, zones and one busy evening of booking requests."

    def add_arguments(self, parser):
        parser.add_argument("--tables", type=int, default=60)
        parser.add_argument("--zones", type=int, default=4)
        parser.add_argument("--load", type=float, default=1.0, help="demand / capacity in seat-minutes")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--bookings", type=int, help="exact number of bookings (overrides --load)")
        parser.add_argument("--name", help="scenario name (default: derived from the options)")
        parser.add_argument(
            "--adjacency", choices=("rows", "grid", "pairs"), default="rows", help="how tables touch (default rows)"
        )
        parser.add_argument(
            "--accessible-share", type=float, default=0.03, help="share of bookings needing accessible tables"
        )
        parser.add_argument(
            "--big-party-factor", type=float, default=1.0, help="how much likelier parties of 6+ are (default 1)"
        )
        parser.add_argument("--out", help="output file (default: stdout)")

    def handle(self, *args, **opts):
        try:
            doc = generate_scenario(
                tables=opts["tables"],
                zones=opts["zones"],
                load=opts["load"],
                seed=opts["seed"],
                bookings=opts["bookings"],
                name=opts["name"],
                adjacency=opts["adjacency"],
                accessible_share=opts["accessible_share"],
                big_party_factor=opts["big_party_factor"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(doc, indent=1) + "\n"
        if not opts["out"]:
            self.stdout.write(text)
            return
        Path(opts["out"]).parent.mkdir(parents=True, exist_ok=True)
        Path(opts["out"]).write_text(text, encoding="utf-8")
        s = parse_scenario(doc)
        self.stderr.write(
            f"wrote {opts['out']}\n  {'scenario':<28}{'tables':>7}{'zones':>6}{'bookings':>9}{'covers':>7}\n"
            f"  {s.name:<28}{len(s.tables):>7}{len(s.zones):>6}{len(s.bookings):>9}{s.covers_requested:>7}"
        )
