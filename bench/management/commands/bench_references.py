"""manage.py bench_references FILE... --out DIR: the exact online limit and the optimum of each file, kept
in DIR for `bench_engine --references DIR`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand, positive_float, scenario_from_file
from assignments.management.progress import CommandProgress
from bench.benchmarking import OPTIMUM_BUDGET, replay_engine, replay_first_fit, replay_smallest_fit
from bench.references import references_compute


class Command(MaitreCommand):
    help = (
        "Compute each file's online limit (every arrival decided, deterministic CP-SAT budgets) and offline "
        "optimum (per group of interacting bookings), keep them in DIR, and print them with the fast replays' "
        "ratios. Resumes an interrupted limit; skips files whose references are already kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="scenario/v1 JSON files")
        parser.add_argument("--out", required=True, metavar="DIR", help="folder of the reference files")
        parser.add_argument(
            "--optimum-budget",
            type=positive_float,
            default=OPTIMUM_BUDGET,
            help="CP-SAT deterministic time per group of interacting bookings for the optimum",
        )
        parser.add_argument(
            "--no-optimum", action="store_true", help="only the online limits (the optimum on a later run)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    def handle(self, *args, **opts):
        scenarios = [scenario_from_file(path) for path in opts["files"]]
        if Path(opts["out"]).exists() and not Path(opts["out"]).is_dir():
            raise CommandError(f"--out: {opts['out']} is a file, not a folder")
        rows = []
        with CommandProgress(self, json=opts["json"]) as progress:
            progress.overall("files", total=len(scenarios))
            for n, (path, scenario) in enumerate(zip(opts["files"], scenarios), 1):
                prefix = f"[{n}/{len(scenarios)}] "
                doc = references_compute(
                    scenario,
                    path,
                    folder=opts["out"],
                    optimum_budget=opts["optimum_budget"],
                    with_optimum=not opts["no_optimum"],
                    progress=lambda msg, prefix=prefix: progress.phase(prefix + msg),
                    step=progress.update,
                )
                rows.append(_row(scenario, doc))
                progress.finish()
                progress.advance_overall()
        if opts["json"]:
            self.stdout.write(json.dumps({"files": rows}, indent=2))
            return
        self.stdout.write(_table(rows))


def _row(scenario, doc) -> dict:
    limit = doc["online_limit"]
    covers = {
        "engine": replay_engine(scenario).covers_seated,
        "first_fit": replay_first_fit(scenario).covers_seated,
        "smallest_fit": replay_smallest_fit(scenario).covers_seated,
    }
    opt = doc["optimum"]
    return {
        "name": scenario.name,
        "online_limit": limit["covers_seated"],
        "undecided": limit["undecided"],
        "limit_seconds": limit["seconds"],
        "optimum": opt["covers"] if opt else None,
        "optimum_status": opt["status"] if opt else None,
        "optimum_bound": opt["bound"] if opt else None,
        **covers,
        **{
            f"{k}/limit": round(v / limit["covers_seated"], 4) if limit["covers_seated"] else None
            for k, v in covers.items()
        },
    }


def _table(rows) -> str:
    lines = [
        f"{'file':<40}{'limit':>6}{'undec.':>7}{'optimum':>9}{'status':>10}{'bound':>7}"
        f"{'engine':>7}{'ff':>5}{'sf':>5}{'eng/lim':>8}{'sf/lim':>7}{'ff/lim':>7}{'limit s':>9}"
    ]
    for r in rows:
        opt = "-" if r["optimum"] is None else str(r["optimum"])
        bound = "-" if r["optimum_bound"] is None else f"{r['optimum_bound']:g}"
        lines.append(
            f"{r['name']:<40}{r['online_limit']:>6}{r['undecided']:>7}{opt:>9}{r['optimum_status'] or '-':>10}"
            f"{bound:>7}{r['engine']:>7}{r['first_fit']:>5}{r['smallest_fit']:>5}{_fmt(r['engine/limit']):>8}"
            f"{_fmt(r['smallest_fit/limit']):>7}{_fmt(r['first_fit/limit']):>7}{r['limit_seconds']:>9.0f}"
        )
    undecided = sum(r["undecided"] for r in rows)
    lines.append(f"undecided arrivals: {undecided} over {len(rows)} files")
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"
