"""The benchmark harness: the independent checker, the generator, the replays."""

import json
from pathlib import Path

from assignments.scenario import load_scenario, parse_scenario
from bench.benchmarking import (
    bench_overall,
    bench_scenario,
    check_assignment,
    online_limit,
    replay_engine,
    replay_first_fit,
)
from bench.scenario_gen import generate_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_checker_finds_each_kind_of_fault():
    s = load_scenario(SCENARIOS / "sample-small.json")
    first = s.bookings[0]  # party of 8 at 17:00
    assert check_assignment(s, {"nope": ["M01"]}) == ["nope: unknown booking"]
    assert any("outside" in p for p in check_assignment(s, {first.id: ["M01"]}))
    assert any("not connected" in p for p in check_assignment(s, {first.id: ["M03", "M06", "M09"]}))
    assert any("not combinable" in p for p in check_assignment(s, {first.id: ["M04", "M03"]}))
    two = [b for b in s.bookings if b.party_size == 2]
    a, b = (
        two[0],
        next(x for x in two[1:] if x.start_minute < two[0].end_minute + s.restaurant.buffer_minutes),
    )
    assert any("overlap" in p for p in check_assignment(s, {a.id: ["M01"], b.id: ["M01"]}))


def test_generator_is_deterministic_and_parses():
    a = generate_scenario(tables=30, zones=3, load=1.1, seed=5)
    b = generate_scenario(tables=30, zones=3, load=1.1, seed=5)
    c = generate_scenario(tables=30, zones=3, load=1.1, seed=6)
    assert json.dumps(a) == json.dumps(b) != json.dumps(c)
    s = parse_scenario(a)
    assert len(s.tables) == 30 and len(s.zones) == 3
    assert sorted(x.arrival for x in s.bookings) == list(range(len(s.bookings)))
    assert any(t.accessible for t in s.tables) and s.adjacency
    assert len(parse_scenario(generate_scenario(tables=60, zones=4, seed=1, bookings=400)).bookings) == 400
    heavier = parse_scenario(generate_scenario(tables=30, zones=3, load=1.3, seed=5))
    assert heavier.covers_requested > s.covers_requested


def test_replays_are_valid_and_engine_beats_first_fit_under_load():
    s = parse_scenario(generate_scenario(tables=30, zones=3, load=1.2, seed=11))
    engine, ff = replay_engine(s), replay_first_fit(s)
    assert not check_assignment(s, engine.assignment)
    assert engine.covers_seated >= ff.covers_seated
    assert sum(engine.wins.values()) == len(engine.assignment)


def test_online_limit_and_bench_figures_on_the_small_sample():
    s = load_scenario(SCENARIOS / "sample-small.json")
    limit = online_limit(s)
    assert not check_assignment(s, limit.assignment) and limit.undecided == 0 and limit.exact
    r = bench_scenario(s, time_limit=5)
    assert r["online_limit"]["covers_seated"] == limit.covers_seated
    assert r["optimum"]["covers"] >= limit.covers_seated
    for key in (
        "covers_requested",
        "covers_seated",
        "seated_ratio",
        "ratio_to_optimum",
        "ratio_to_online_limit",
        "to_review",
        "preferred_zone_honoured_pct",
        "p50_ms",
        "p99_ms",
        "plans_per_s",
    ):
        assert key in r["engine"]
    overall = bench_overall([r])
    assert {"p50_ms", "p99_ms", "plans_per_s"} <= set(overall)


def test_engine_reseat_replay_is_valid_and_seats_at_least_the_engine():
    from bench.benchmarking import replay_engine, replay_engine_reseat

    s = load_scenario(SCENARIOS / "sample-small.json")
    plain = replay_engine(s)
    both = replay_engine_reseat(s, time_limit=2.0)
    assert not check_assignment(s, both.assignment)
    assert both.covers_seated >= plain.covers_seated
    assert both.reseats > 0 and both.moves >= both.reseats
    f = both.figures()
    assert f["reseats"] == both.reseats and f["moves"] == both.moves


def test_ablation_reports_every_strategy():
    from assignments.engine import default_strategies
    from bench.benchmarking import ablation

    s = load_scenario(SCENARIOS / "sample-small.json")
    ab = ablation(s)
    names = [x.name for x in default_strategies()]
    assert set(ab["changed"]) == {*names, "reference_layout"}
    assert all(f"without_{n}" in ab and f"only_{n}" in ab for n in names)
    assert ab["changed"]["reference_layout"] > 0  # the day's reference layout changes some tables


def test_decision_swaps_replay_the_day_with_one_decision_changed():
    from assignments.engine import Engine, smallest_fit
    from bench.benchmarking import (
        decision_swaps,
        replay,
        replay_engine,
        scenario_demand,
        scenario_floor,
        swap_summary,
    )

    s = load_scenario(SCENARIOS / "sample-small.json")
    swaps = decision_swaps(s, baseline="smallest_fit")
    assert swaps and swap_summary(swaps)["all"]["swaps"] == len(swaps)
    plain = replay_engine(s).covers_seated
    floor = scenario_floor(s)
    engine = Engine(floor, demand=scenario_demand(s))
    for swap in swaps[:3]:  # an independent replay: smallest-fit decides that one booking only

        def assign(r, occ, bid=swap["booking"]):
            return smallest_fit(floor, r, occ) if r.booking_id == bid else engine.decide(r, occ).best

        forced = replay(s, "forced", lambda f, a=assign: a, floor=floor)
        assert forced.covers_seated - plain == swap["gain"]


def test_bench_swaps_command_summarises_by_kind_of_decision():
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "bench_swaps", str(SCENARIOS / "sample-medium.json"), "--json", stdout=out, stderr=io.StringIO()
    )
    summary = json.loads(out.getvalue())
    assert summary["all"]["swaps"] >= summary["all"]["gain"] + summary["all"]["loss"] > 0
    assert any(k.startswith("strategy=") for k in summary) and any(k.startswith("party=") for k in summary)


def test_bench_engine_reuses_cached_references_of_the_same_file_only(tmp_path):
    import io

    from django.core.management import call_command

    small = str(SCENARIOS / "sample-small.json")
    refs = tmp_path / "refs"

    def run():
        out = io.StringIO()
        call_command(
            "bench_engine",
            small,
            "--json",
            "--no-ablation",
            "--time-limit",
            "10",
            "--references",
            str(refs),
            stdout=out,
            stderr=io.StringIO(),
        )
        return json.loads(out.getvalue())["scenarios"][0]

    first = run()
    cached = json.loads((refs / "sample-small.json").read_text())
    assert cached["online_limit"]["covers_seated"] == first["online_limit"]["covers_seated"]
    assert cached["optimum"]["covers"] == first["optimum"]["covers"]
    # a cached figure is used as it stands (so a planted one shows through) ...
    cached["optimum"]["covers"] = 999
    (refs / "sample-small.json").write_text(json.dumps(cached))
    assert run()["optimum"]["covers"] == 999
    # ... but only for the same bytes: another file's references are solved again
    cached["sha256"] = "0" * 64
    (refs / "sample-small.json").write_text(json.dumps(cached))
    assert run()["optimum"]["covers"] == first["optimum"]["covers"]
