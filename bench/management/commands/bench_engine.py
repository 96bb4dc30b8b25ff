"""manage.py bench_engine FILE...: replay scenarios through the engine and the baselines."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

from assignments.management.base import MaitreCommand, non_negative_int, positive_float, scenario_from_file
from assignments.management.progress import CommandProgress
from bench.benchmarking import ASSIGNERS, OPTIMUM_BUDGET, UNGATED, bench_overall, bench_scenario, public
from bench.references import references_compute
from optimization.solver.reseat import DETERMINISTIC_LIMIT


class Command(MaitreCommand):
    help = "Replay scenario files online (engine, engine_reseat, first_fit, smallest_fit) against the online limit and the optimum."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="scenario/v1 JSON files to replay")
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
        parser.add_argument(
            "--assignments-out", metavar="DIR", help="write DIR/<scenario>.json with the engine's tables"
        )
        parser.add_argument(
            "--time-limit",
            type=positive_float,
            default=OPTIMUM_BUDGET,
            help="the offline optimum's budget per group of interacting bookings, in CP-SAT deterministic time "
            "(work units of about a second on a quiet core; the same on a loaded machine)",
        )
        parser.add_argument(
            "--reseat-deterministic-time",
            type=positive_float,
            default=DETERMINISTIC_LIMIT,
            help="CP-SAT deterministic time per engine_reseat re-seat solve, one worker: the same replay on any "
            f"machine under any load (default {DETERMINISTIC_LIMIT:g}, the pipeline's MAITRE_RESEAT_DETERMINISTIC_TIME)",
        )
        parser.add_argument(
            "--reseat-time-limit",
            type=positive_float,
            default=60.0,
            help="wall-clock seconds per engine_reseat re-seat solve, a safety net the deterministic budget should "
            "reach first (default 60)",
        )
        parser.add_argument(
            "--freeze-minutes",
            type=non_negative_int,
            default=60,
            help="engine_reseat: bookings starting within this of the earliest accepted start never move (default 60)",
        )
        parser.add_argument(
            "--no-online-limit", action="store_true", help="skip the online limit (the slow part)"
        )
        parser.add_argument(
            "--references",
            metavar="DIR",
            help="reuse DIR/<file name> (the online limit and optimum of the same file, written by bench_references "
            "or an earlier run with this option) instead of solving them again; computes and writes it when missing",
        )
        parser.add_argument("--no-ablation", action="store_true", help="skip the per-strategy ablation")
        parser.add_argument(
            "--compare-ungated",
            action="store_true",
            help="also replay re-seating without its pay-off rule (slow)",
        )

    def handle(self, *args, **opts):
        as_json = opts["json"]
        # Every file is read before the first (long) replay starts, so a typo fails at once.
        scenarios = [scenario_from_file(path) for path in opts["files"]]
        if opts["assignments_out"] and Path(opts["assignments_out"]).is_file():
            raise CommandError(f"--assignments-out: {opts['assignments_out']} is a file, not a folder")
        results = []
        with CommandProgress(self, json=as_json) as progress:
            progress.overall("scenarios", total=len(scenarios))
            for n, (path, scenario) in enumerate(zip(opts["files"], scenarios), 1):
                prefix = f"[{n}/{len(scenarios)}] "
                cached = None
                if opts["references"] and not opts["no_online_limit"]:
                    cached = references_compute(
                        scenario,
                        path,
                        folder=opts["references"],
                        optimum_budget=opts["time_limit"],
                        progress=lambda msg, prefix=prefix: progress.phase(prefix + msg),
                        step=progress.update,
                    )
                results.append(
                    bench_scenario(
                        scenario,
                        time_limit=opts["time_limit"],
                        with_online_limit=not opts["no_online_limit"],
                        reseat_time_limit=opts["reseat_time_limit"],
                        reseat_deterministic_time=opts["reseat_deterministic_time"],
                        freeze_minutes=opts["freeze_minutes"],
                        with_ablation=not opts["no_ablation"],
                        with_ungated=opts["compare_ungated"],
                        references=cached,
                        progress=lambda msg, prefix=prefix: progress.phase(prefix + msg),
                        step=progress.update,
                    )
                )
                progress.finish()
                progress.advance_overall()
                if not as_json:
                    progress.write(self._scenario_table(results[-1]))
        overall = bench_overall(results)
        if opts["assignments_out"]:
            out_dir = Path(opts["assignments_out"])
            out_dir.mkdir(parents=True, exist_ok=True)
            for r in results:
                seated = {bid: list(tables) for bid, tables in sorted(r["_assignments"]["engine"].items())}
                (out_dir / f"{r['name']}.json").write_text(
                    json.dumps(seated, indent=1) + "\n", encoding="utf-8"
                )
        if as_json:
            self.stdout.write(
                json.dumps({"scenarios": [public(r) for r in results], "overall": overall}, indent=2)
            )
            return
        self.stdout.write(self._overall_table(overall))

    @staticmethod
    def _scenario_table(r) -> str:
        opt = r["optimum"]
        lim = r["online_limit"]
        gap = "" if opt["status"] == "OPTIMAL" else f" bound {opt['bound']:g}"
        lines = [
            f"\n{r['name']}  ({r['tables']} tables, {r['bookings']} bookings, "
            f"{r['engine']['covers_requested']} covers requested)",
            f"  optimum {opt['covers']} covers ({opt['status']}{gap}, {opt['seconds']:.1f}s)"
            + (
                f"; online limit {lim['covers_seated']} covers ("
                + ("exact" if not lim["undecided"] else f"a lower estimate: {lim['undecided']} undecided")
                + f", {lim['seconds']:.1f}s)"
                if lim
                else ""
            ),
            f"  {'assigner':<22}{'seated':>7}{'ratio':>7}{'/opt':>7}{'/limit':>8}{'review':>7}{'zone%':>7}"
            f"{'p50 ms':>8}{'p99 ms':>8}{'plans/s':>9}",
        ]
        for name in [n for n in (*ASSIGNERS, UNGATED) if n in r]:
            f = r[name]
            lines.append(
                f"  {name:<22}{f['covers_seated']:>7}{_fmt(f['seated_ratio']):>7}{_fmt(f['ratio_to_optimum']):>7}"
                f"{_fmt(f['ratio_to_online_limit']):>8}{f['to_review']:>7}{_fmt(f['preferred_zone_honoured_pct'], 1):>7}"
                f"{f['p50_ms']:>8.3f}{f['p99_ms']:>8.3f}{_fmt(f['plans_per_s'], 0):>9}"
            )
        if r["engine"]["wins"]:
            wins = ", ".join(
                f"{k} {v}" for k, v in sorted(r["engine"]["wins"].items(), key=lambda kv: -kv[1])
            )
            lines.append(f"  engine wins by strategy: {wins}")
        rs = r["engine_reseat"]
        lines.append(
            f"  engine_reseat: {rs['reseats']} bookings seated by re-seating, {rs['moves']} moves, "
            f"{rs['declined']} re-seats declined (played forward, they would not add a full expected cover)"
        )
        if rs.get("reseat_searches"):
            found, cost = rs["reseat_searches"], rs["reseat_search_s"]
            lines.append(
                f"  engine_reseat searches: {sum(found.values())} ({', '.join(f'{k} {v}' for k, v in found.items())}); "
                f"{cost['p50']:.2f} s median, {cost['max']:.2f} s max"
            )
        for flag in r["flags"]:
            lines.append(f"  FLAG {flag}")
        ab = r["engine"].get("ablation")
        if ab:
            without = ", ".join(
                f"{k[len('without_') :]} {v} ({ab['changed'][k[len('without_') :]]} changed, zone {_fmt(ab['zone_pct'][k], 1)}%)"
                for k, v in ab.items()
                if k.startswith("without_")
            )
            lines.append(f"  ablation, covers without each strategy (all {ab['all']}): {without}")
        return "\n".join(lines)

    @staticmethod
    def _overall_table(o) -> str:
        lines = [
            "\nSummary",
            f"  {'assigner':<22}{'seated':>8}{'requested':>10}{'/opt avg':>9}{'/limit avg':>11}{'p50 ms':>8}{'p99 ms':>8}",
        ]
        for name in [n for n in (*ASSIGNERS, UNGATED) if n in o]:
            f = o[name]
            lines.append(
                f"  {name:<22}{f['covers_seated']:>8}{f['covers_requested']:>10}{_fmt(f['ratio_to_optimum_mean']):>9}"
                f"{_fmt(f['ratio_to_online_limit_mean']):>11}{f['p50_ms']:>8.3f}{f['p99_ms']:>8.3f}"
            )
        lines.append(
            f"  optimum covers {o['optimum_covers']}; online limit covers {o['online_limit_covers']}"
        )
        wins = ", ".join(f"{k} {v}" for k, v in sorted(o["engine"]["wins"].items(), key=lambda kv: -kv[1]))
        lines.append(f"  engine wins by strategy: {wins}; engine_reseat moves {o['engine_reseat']['moves']}")
        for name in ("first_fit", "smallest_fit"):
            w = o[f"worst_day_vs_{name}"]
            lines.append(f"  engine's worst day against {name}: {w['name']} ({_fmt(w['ratio'])})")
        lines.append(
            f"  flagged days: {len(o['flagged_days'])}"
            + "".join(f"\n    {day}: {'; '.join(flags)}" for day, flags in o["flagged_days"].items())
        )
        return "\n".join(lines) + "\n"


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if digits else f"{value:.0f}"
