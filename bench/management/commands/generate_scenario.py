"""manage.py generate_scenario: write a realistic scenario/v1 day, deterministic per seed."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from assignments.management.base import (
    MaitreCommand,
    non_negative_int,
    positive_float,
    positive_int,
    writable_path,
)
from assignments.scenario import parse_scenario
from bench.scenario_gen import ZONE_NAMES, generate_scenario


class Command(MaitreCommand):
    help = "Generate a scenario/v1 JSON file: floor, zones and one busy evening of booking requests."

    def add_arguments(self, parser):
        parser.add_argument("--tables", type=positive_int, default=60, help="tables on the floor")
        parser.add_argument(
            "--zones", type=positive_int, default=4, help=f"zones (rooms), 1 to {len(ZONE_NAMES)}"
        )
        parser.add_argument(
            "--load", type=positive_float, default=1.0, help="demand / capacity in seat-minutes"
        )
        parser.add_argument(
            "--seed", type=non_negative_int, default=1, help="random seed: one seed, one file"
        )
        parser.add_argument(
            "--bookings", type=positive_int, help="exact number of bookings (overrides --load)"
        )
        parser.add_argument("--name", help="scenario name (default: derived from the options)")
        parser.add_argument(
            "--adjacency",
            choices=("rows", "grid", "pairs"),
            default="rows",
            help="how tables touch (default rows)",
        )
        parser.add_argument(
            "--accessible-share", type=float, default=0.03, help="share of bookings needing accessible tables"
        )
        parser.add_argument(
            "--big-party-factor",
            type=float,
            default=1.0,
            help="how much likelier parties of 6+ are (default 1)",
        )
        parser.add_argument("--out", help="output file (default: stdout)")

    def handle(self, *args, **opts):
        if opts["zones"] > len(ZONE_NAMES):
            raise CommandError(f"--zones: at most {len(ZONE_NAMES)}, got {opts['zones']}")
        if opts["tables"] < opts["zones"]:
            raise CommandError(
                f"--tables: needs at least one table per zone ({opts['zones']}), got {opts['tables']}"
            )
        out = writable_path(opts["out"]) if opts["out"] else None
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
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
        s = parse_scenario(doc)
        self.stderr.write(
            f"wrote {opts['out']}\n  {'scenario':<28}{'tables':>7}{'zones':>6}{'bookings':>9}{'covers':>7}\n"
            f"  {s.name:<28}{len(s.tables):>7}{len(s.zones):>6}{len(s.bookings):>9}{s.covers_requested:>7}"
        )
