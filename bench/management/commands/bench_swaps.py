"""manage.py bench_swaps FILE...: why the engine loses a day to a baseline, one decision at a time."""

from __future__ import annotations

import json
import sys

from assignments.management.base import MaitreCommand, scenario_from_file
from bench.benchmarking import decision_swaps, swap_summary


class Command(MaitreCommand):
    help = (
        "For each engine decision a baseline would take differently, replay the day with that one decision "
        "swapped and sum the covers gained, by kind of decision (strategy, join, party size)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="scenario/v1 JSON files")
        parser.add_argument(
            "--baseline",
            choices=("smallest_fit", "first_fit"),
            default="smallest_fit",
            help="whose choice to swap in",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    def handle(self, *args, **opts):
        scenarios = [
            scenario_from_file(path) for path in opts["files"]
        ]  # every file read before the long part
        swaps = []
        for i, scenario in enumerate(scenarios, 1):
            sys.stderr.write(f"  .. [{i}/{len(scenarios)}] {scenario.name}\n")
            swaps += decision_swaps(scenario, baseline=opts["baseline"])
        summary = swap_summary(swaps)
        if opts["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self.stdout.write(
            f"\nSwapping one engine decision to {opts['baseline']}'s choice ({len(swaps)} decisions)"
        )
        self.stdout.write(f"  {'kind of decision':<28}{'swaps':>7}{'mean gain':>11}{'gains':>7}{'losses':>8}")
        for kind, s in summary.items():
            self.stdout.write(
                f"  {kind:<28}{s['swaps']:>7}{s['mean_gain']:>+11.3f}{s['gain']:>7}{s['loss']:>8}"
            )
