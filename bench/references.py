"""The references of a scenario file (online limit, offline optimum), computed once and kept on disk.

Neither depends on the engine's settings, and they are most of a benchmark's run time, so
`bench_references` computes them and `bench_engine --references DIR` reuses them. A reference file
is `DIR/<scenario file name>`, JSON, tied to the scenario's bytes by their sha256:

- format `maitre-references/2` (this module): the exact online limit (every arrival decided or
  listed as undecided) and the optimum solved per group of interacting bookings, both with
  deterministic CP-SAT budgets (`method` records them and the OR-Tools version), plus their
  assignments;
- no `format` key: the first cache (wall-clock limits; the limit may be a lower estimate). Still
  read, and reported as such.

While the online limit runs, `DIR/<file name>.partial` holds its checkpoint, so an interrupted run
goes on from there (same budgets: same answer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assignments.scenario import Scenario
from bench.benchmarking import (
    LIMIT_STAGES,
    OPTIMUM_BUDGET,
    check_assignment,
    offline_optimum,
    online_limit,
    replay_engine,
    replay_first_fit,
    replay_smallest_fit,
)

FORMAT = "maitre-references/2"


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def reference_path(folder: str | Path, scenario_path: str | Path) -> Path:
    return Path(folder) / Path(scenario_path).name


def reference_read(folder: str | Path, scenario_path: str | Path) -> dict[str, Any] | None:
    """The kept references of this very file (same bytes), or None."""
    ref = reference_path(folder, scenario_path)
    if not ref.is_file():
        return None
    doc = json.loads(ref.read_text(encoding="utf-8"))
    if doc.get("sha256") != file_digest(scenario_path):
        return None
    return doc


def reference_write(folder: str | Path, scenario_path: str | Path, doc: Mapping[str, Any]) -> Path:
    ref = reference_path(folder, scenario_path)
    ref.parent.mkdir(parents=True, exist_ok=True)
    tmp = ref.with_name(ref.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(ref)
    return ref


def _method(stages: Sequence[tuple[str, float, Mapping[str, Any]]], optimum_budget: float) -> dict[str, Any]:
    from ortools import __version__ as ortools_version

    return {
        "limit_stages": [[name, budget, dict(params)] for name, budget, params in stages],
        "optimum_budget": optimum_budget,
        "workers": 1,
        "budget_unit": "CP-SAT deterministic time",
        "ortools": ortools_version,
    }


def references_compute(
    scenario: Scenario,
    scenario_path: str | Path,
    *,
    folder: str | Path | None = None,
    stages: Sequence[tuple[str, float, Mapping[str, Any]]] = LIMIT_STAGES,
    optimum_budget: float = OPTIMUM_BUDGET,
    with_optimum: bool = True,
    hints: Sequence[Mapping[str, Sequence[str]]] = (),
    progress: Callable[[str], None] | None = None,
    step: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The online limit, then the optimum (hinted with the limit's assignment, `hints`, and the fast
    replays: engine, first-fit, smallest-fit). With `folder`: a limit already kept there by the
    same method is reused (so a run `with_optimum=False` can be completed later), the limit
    checkpoints to `<folder>/<file name>.partial` and resumes from it, and the result is written
    to `<folder>/<file name>` (`optimum` is None until it is solved)."""
    say = progress or (lambda _msg: None)
    method = _method(stages, optimum_budget)
    digest = file_digest(scenario_path)
    kept = reference_read(folder, scenario_path) if folder else None
    doc: dict[str, Any]
    if kept and kept.get("format") == FORMAT and kept["method"]["limit_stages"] == method["limit_stages"]:
        doc = kept
        doc["method"] = method
        limit_assignment = doc["assignments"]["online_limit"]
    else:
        limit = _limit(scenario, scenario_path, folder, stages, method, digest, say, step)
        limit_assignment = {b: list(t) for b, t in sorted(limit.assignment.items())}
        doc = {
            "format": FORMAT,
            "name": scenario.name,
            "sha256": digest,
            "method": method,
            "online_limit": limit.figures(),
            "optimum": None,
            "assignments": {"online_limit": limit_assignment, "optimum": None},
        }
        if folder is not None:
            reference_write(folder, scenario_path, doc)
    stale = doc["optimum"] is None or doc["optimum"].get("deterministic_time") != optimum_budget
    if with_optimum and stale:
        replays = [replay_engine(scenario), replay_first_fit(scenario), replay_smallest_fit(scenario)]
        say(f"{scenario.name}: the offline optimum ({optimum_budget:g} per group)")
        opt = offline_optimum(
            scenario,
            deterministic_time=optimum_budget,
            hints=[limit_assignment, *hints, *(r.assignment for r in replays)],
            progress=lambda msg: say(f"{scenario.name}: {msg}"),
        )
        problems = check_assignment(scenario, opt["assignment"])
        if problems:
            raise AssertionError(f"optimum broke the rules on {scenario.name}: {problems[:5]}")
        doc["optimum"] = {k: v for k, v in opt.items() if k != "assignment"}
        doc["assignments"]["optimum"] = {b: list(t) for b, t in sorted(opt["assignment"].items())}
        if folder is not None:
            reference_write(folder, scenario_path, doc)
    return doc


def _limit(
    scenario: Scenario,
    scenario_path: str | Path,
    folder: str | Path | None,
    stages: Sequence[tuple[str, float, Mapping[str, Any]]],
    method: Mapping[str, Any],
    digest: str,
    say: Callable[[str], None],
    step: Callable[[int, int], None] | None,
):
    partial = reference_path(folder, scenario_path).with_suffix(".json.partial") if folder else None
    resume = None
    if partial is not None and partial.is_file():
        saved = json.loads(partial.read_text(encoding="utf-8"))
        if saved.get("sha256") == digest and saved.get("stages") == method["limit_stages"]:
            resume = saved["state"]
            say(f"{scenario.name}: resuming the online limit at arrival {resume['next']}")

    def keep(state: dict[str, Any]) -> None:
        if partial is None:
            return
        tmp = partial.with_name(partial.name + ".tmp")
        tmp.write_text(
            json.dumps({"sha256": digest, "stages": method["limit_stages"], "state": state}), encoding="utf-8"
        )
        tmp.replace(partial)

    if partial is not None:
        partial.parent.mkdir(parents=True, exist_ok=True)
    say(f"{scenario.name}: the online limit (every arrival decided exactly)")
    limit = online_limit(scenario, stages=stages, progress=step, resume=resume, checkpoint=keep)
    problems = check_assignment(scenario, limit.assignment)
    if problems:
        raise AssertionError(f"online limit broke the rules on {scenario.name}: {problems[:5]}")
    if partial is not None and partial.is_file():
        partial.unlink()
    return limit
