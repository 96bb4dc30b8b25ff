"""Dev-only tuning helpers for issue 15 (docs/benchmarks/engine.md): fast replays over a set of days.

    python -m bench.engine_tuning covers var/engine-sets/tuning/*.json --weights protection_load=0.8,...
    python -m bench.engine_tuning reseat var/engine-sets/tuning/s1002.json ... [--margin 1.0] [--draws-per-table 1]
    python -m bench.engine_tuning latency scenarios/generated/gen-60t-4z-400b-s42.json [--weights ...]
    python -m bench.engine_tuning renamings var/engine-sets/test/*.json [--n 20] [--weights ...]

`covers` replays the engine (default weights) and a variant, first-fit and smallest-fit, and prints
the totals by the day's load (read from the generated name), the days more than 1% below a
baseline, and the days where the variant seats fewer covers than the engine. `reseat` replays the
engine and the engine with re-seating per day. `latency` measures `Engine.decide` in thread CPU time.
`renamings` replays the engine (or a variant) and both baselines on each day under `--n` renamings of
its tables (the same floor and bookings, the table ids shuffled; renaming 0 is the file as it is):
every rule breaks exact ties by table id, so the spread says how much of a day's gap to a baseline
is the luck of the names, and which days are lost under any names.
Nothing here is imported by the service.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def _weights(spec: str | None):
    from assignments.engine import Weights

    if not spec:
        return Weights()
    return Weights.from_mapping({k: float(v) for k, v in (x.split("=") for x in spec.split(","))})


def _load(name: str) -> float | None:
    return float(name.split("load")[1].split("-")[0]) if "load" in name else None


def covers(files: Sequence[str], spec: str | None) -> None:
    from assignments.management.base import scenario_from_file
    from bench.benchmarking import replay_engine, replay_first_fit, replay_smallest_fit

    variant = _weights(spec)
    groups: dict[str, list[int]] = {
        "< 0.9": [0, 0, 0, 0],
        "0.9-1.0": [0, 0, 0, 0],
        ">= 1.1": [0, 0, 0, 0],
        "other": [0, 0, 0, 0],
    }
    bad_engine = bad_variant = 0
    for path in files:
        sc = scenario_from_file(path)
        ff, sf = replay_first_fit(sc).covers_seated, replay_smallest_fit(sc).covers_seated
        e = replay_engine(sc).covers_seated
        v = replay_engine(sc, weights=variant).covers_seated
        load = _load(sc.name)
        key = "other" if load is None else "< 0.9" if load < 0.9 else "0.9-1.0" if load < 1.05 else ">= 1.1"
        g = groups[key]
        g[0] += e
        g[1] += v
        g[2] += v < e
        g[3] += 1
        bad_engine += e < 0.99 * max(ff, sf)
        bad_variant += v < 0.99 * max(ff, sf)
        mark = " (more than 1% below a baseline)" if v < 0.99 * max(ff, sf) else ""
        print(f"{sc.name:44} engine {e:5} variant {v:5} first_fit {ff:5} smallest_fit {sf:5}{mark}")
    print(f"days more than 1% below a baseline: engine {bad_engine}, variant {bad_variant}")
    for key, (e, v, lower, n) in groups.items():
        if n:
            print(
                f"load {key:8} {n:3} days: engine {e} -> variant {v} ({(v / e - 1) * 100:+.2f}%), {lower} days lower"
            )


def rename_tables(data: dict, seed: int) -> dict:
    """The scenario document `data` with its table ids shuffled by `seed` (0: unchanged): every table
    keeps its zone, size and flags and every adjacency its two tables, under another table's id."""
    import copy
    import random

    out = copy.deepcopy(data)
    if seed == 0:
        return out
    ids = [t["id"] for t in out["tables"]]
    shuffled = ids[:]
    random.Random(seed).shuffle(shuffled)
    new = dict(zip(ids, shuffled, strict=True))
    for t in out["tables"]:
        t["id"] = new[t["id"]]
    out["adjacency"] = [[new[a] for a in pair] for pair in out["adjacency"]]
    return out


def renamings(files: Sequence[str], n: int, spec: str | None) -> dict[str, list[tuple[int, int, int]]]:
    """Engine (or the `spec` variant), first-fit and smallest-fit covers per day under `n` renamings."""
    import json
    import statistics

    from assignments.scenario import parse_scenario
    from bench.benchmarking import replay_engine, replay_first_fit, replay_smallest_fit

    weights = _weights(spec)
    out: dict[str, list[tuple[int, int, int]]] = {}
    for path in files:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        rows = []
        for seed in range(n):
            sc = parse_scenario(rename_tables(data, seed))
            rows.append(
                (
                    replay_engine(sc, weights=weights).covers_seated,
                    replay_first_fit(sc).covers_seated,
                    replay_smallest_fit(sc).covers_seated,
                )
            )
        out[data["name"]] = rows
        e, ff, sf = (sorted(col) for col in zip(*rows, strict=True))
        bad = sum(r[0] < 0.99 * max(r[1], r[2]) for r in rows)
        print(
            f"{data['name']:44} engine {e[0]}-{e[-1]} ({rows[0][0]}) first_fit {ff[0]}-{ff[-1]} ({rows[0][1]})"
            f" smallest_fit {sf[0]}-{sf[-1]} ({rows[0][2]}): more than 1% below a baseline under {bad} of {n}"
            f" names, at least smallest-fit under {sum(r[0] >= r[2] for r in rows)}"
        )
    bad_per = [
        sum(rows[s][0] < 0.99 * max(rows[s][1], rows[s][2]) for rows in out.values()) for s in range(n)
    ]
    totals = [[sum(rows[s][i] for rows in out.values()) for s in range(n)] for i in range(3)]
    print(
        f"days more than 1% below a baseline, per renaming: {bad_per}; mean {statistics.mean(bad_per):.2f}"
        f" of {len(out)}, as named {bad_per[0]}"
    )
    print(
        "covers, mean over renamings: engine {:.1f}, first_fit {:.1f}, smallest_fit {:.1f}".format(
            *(statistics.mean(t) for t in totals)
        )
    )
    lost = [name for name, rows in out.items() if 2 * sum(r[0] < 0.99 * max(r[1], r[2]) for r in rows) > n]
    print(f"days more than 1% below a baseline under most names: {', '.join(lost) or 'none'}")
    if n > 1:  # the same rule under another name, against both baselines as named: the target's noise floor
        for label, col in (("smallest-fit", 2), ("engine", 0)):
            per = [
                sum(rows[s][col] < 0.99 * max(rows[0][1], rows[0][2]) for rows in out.values())
                for s in range(1, n)
            ]
            print(
                f"{label} under another name, days more than 1% below a baseline as named: mean "
                f"{statistics.mean(per):.2f} of {len(out)} ({min(per)}-{max(per)})"
            )
    return out


def _search_cache(directory: str | None):
    """Keep the re-seat searches of each day on disk (`directory/<file hash>.pickle`): a search on a
    deterministic budget is a pure function of its input, so a replay with another pay-off rule reuses
    every search up to its first different decision. Returns (use(path), save())."""
    import hashlib
    import pickle

    from optimization.solver import reseat as solver

    real = solver.reseat_search
    state: dict[str, object] = {"file": None, "memo": {}, "dirty": False}

    def search(floor, accepted, requests, new_request, frozen=frozenset(), **kw):
        key = hashlib.sha1(
            repr((sorted(accepted.items()), new_request, sorted(frozen), sorted(kw.items()))).encode()
        ).hexdigest()
        memo = state["memo"]
        assert isinstance(memo, dict)
        got = memo.get(key)
        if got is None:
            got = memo[key] = real(floor, accepted, requests, new_request, frozen, **kw)
            state["dirty"] = True
        return got

    def save() -> None:
        if directory and state["file"] and state["dirty"]:
            with open(str(state["file"]), "wb") as fh:
                pickle.dump(state["memo"], fh)
        state["dirty"] = False

    def use(path: str) -> None:
        save()
        if not directory:
            state["memo"] = {}
            return
        os.makedirs(directory, exist_ok=True)
        with open(path, "rb") as fh:
            digest = hashlib.sha1(fh.read()).hexdigest()[:16]
        state["file"] = os.path.join(directory, f"{digest}.pickle")
        try:
            with open(str(state["file"]), "rb") as fh:
                state["memo"] = pickle.load(fh)
        except FileNotFoundError:
            state["memo"] = {}

    if directory:
        solver.reseat_search = search  # type: ignore[assignment]
    return use, save


def reseat(
    files: Sequence[str],
    margin: float,
    draws_per_table: float | None,
    slope: float | None,
    confidence: float | None,
    deterministic_time: float | None,
    cache: str | None,
    out: str | None,
) -> None:
    import json

    from assignments.management.base import scenario_from_file
    from bench.benchmarking import replay_engine, replay_engine_reseat

    use, save = _search_cache(cache)
    total_e = total_r = lower = 0
    for path in files:
        use(path)
        sc = scenario_from_file(path)
        t0 = time.perf_counter()
        e = replay_engine(sc).covers_seated
        r = replay_engine_reseat(
            sc,
            deterministic_limit=deterministic_time,
            freeze_minutes=60,
            payoff_margin=margin,
            payoff_draws_per_table=draws_per_table,
            payoff_slope=slope,
            payoff_confidence=confidence,
        )
        save()
        total_e += e
        total_r += r.covers_seated
        lower += r.covers_seated < e
        fig = r.figures()
        searches = fig.get("reseat_searches", {})
        print(
            f"{sc.name:44} engine {e:5} engine_reseat {r.covers_seated:5} (re-seats {r.reseats}, moves {r.moves}, "
            f"declined {r.declined}; searches {sum(searches.values())}, out of budget "
            f"{searches.get('out of budget', 0)}; {time.perf_counter() - t0:.0f}s)",
            flush=True,
        )
        if out:
            os.makedirs(out, exist_ok=True)
            day = {"name": sc.name, "engine": e, **{k: v for k, v in fig.items() if k not in ("wins",)}}
            with open(os.path.join(out, os.path.basename(path)), "w") as fh:
                json.dump(day, fh, indent=1)
    print(f"total: engine {total_e}, engine_reseat {total_r}; days engine_reseat < engine: {lower}")


def latency(path: str, spec: str | None, runs: int) -> None:
    from assignments.engine import Engine, Occupancy
    from assignments.engine.reference import ReferenceLayout
    from assignments.management.base import scenario_from_file
    from assignments.stats import percentile
    from bench.benchmarking import scenario_demand, scenario_floor, scenario_requests

    sc = scenario_from_file(path)
    floor = scenario_floor(sc)
    for _ in range(runs):
        engine = Engine(floor, weights=_weights(spec), demand=scenario_demand(sc))
        occ = Occupancy(floor)
        layout = ReferenceLayout(floor) if engine.weights.follows_reference else None
        cpu: list[float] = []
        ref_cpu: list[float] = []
        for r in scenario_requests(sc):
            t0 = time.thread_time_ns()
            reference = layout.add(r) if layout is not None else None
            t1 = time.thread_time_ns()
            d = engine.decide(r, occ, reference=reference)
            cpu.append((time.thread_time_ns() - t0) / 1e6)
            ref_cpu.append((t1 - t0) / 1e6)
            if d.best:
                occ.add(d.best.tables, r.start, r.end, r.booking_id)
        cpu.sort()
        ref_cpu.sort()
        print(
            f"{sc.name}: decide p50 {percentile(cpu, 50):.3f} p99 {percentile(cpu, 99):.3f} max {cpu[-1]:.3f} ms CPU"
            f" (of which the reference layout's plan: p99 {percentile(ref_cpu, 99):.3f} ms)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_tuning")
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("covers")
    c.add_argument("files", nargs="+")
    c.add_argument("--weights", help="name=value,... for the variant (default weights otherwise)")
    r = sub.add_parser("reseat")
    r.add_argument("files", nargs="+")
    r.add_argument("--margin", type=float, default=1.0, help="expected covers a re-seat must add")
    r.add_argument(
        "--draws-per-table",
        type=float,
        help="later requests per draw, x tables, on a quiet day (PAYOFF_BASE)",
    )
    r.add_argument("--slope", type=float, help="more draws x tables per share of recent requests refused")
    r.add_argument(
        "--confidence",
        type=float,
        help="standard errors of the played gain the margin must clear (default PAYOFF_CONFIDENCE; 0: the mean)",
    )
    r.add_argument("--deterministic-time", type=float, help="CP-SAT deterministic time per re-seat solve")
    r.add_argument(
        "--cache", help="directory keeping each day's re-seat searches (exact: they are deterministic)"
    )
    r.add_argument("--out", help="directory for a JSON of each day's figures")
    rn = sub.add_parser("renamings")
    rn.add_argument("files", nargs="+")
    rn.add_argument("--n", type=int, default=20, help="renamings per day; renaming 0 is the file as named")
    rn.add_argument("--weights", help="name=value,... for the engine (default weights otherwise)")
    lat = sub.add_parser("latency")
    lat.add_argument("file")
    lat.add_argument("--weights")
    lat.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    _setup()
    if args.what == "covers":
        covers(args.files, args.weights)
    elif args.what == "reseat":
        reseat(
            args.files,
            args.margin,
            args.draws_per_table,
            args.slope,
            args.confidence,
            args.deterministic_time,
            args.cache,
            args.out,
        )
    elif args.what == "renamings":
        renamings(args.files, args.n, args.weights)
    else:
        latency(args.file, args.weights, args.runs)


if __name__ == "__main__":
    main()
