"""Issue #9: one restaurant's day submitted in arrival order through 2 worker processes ends with exactly the
tables of the engine's own replay (`bench_engine`'s online replay), re-seating off."""

from __future__ import annotations

import pytest

from assignments.scenario import load_scenario
from bench.benchmarking import replay_engine
from tests.system.harness import SCENARIOS
from tests.system.load import (
    TABLES_SQL,
    LoadDriver,
    assert_clean,
    pipeline_report,
    scenario_bookings,
    wait_until_final,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SCENARIO = SCENARIOS / "sample-large.json"


def test_two_workers_seat_the_day_exactly_as_the_engine_replay(make_system):
    system = make_system(formation={"web": 1, "worker": 2, "scheduler": 1}, env={"MAITRE_RESEAT": "0"})
    slug = system.import_floor(SCENARIO, slug="determinism-large")
    # One platform, one request after the other: the order of creation is the order of arrival.
    requests = scenario_bookings(SCENARIO, [slug], day=system.day)
    driver = LoadDriver(system.web_url, system.token, requests, rate=None, concurrency=1)
    driver.run()

    assert wait_until_final(system, [slug], timeout=120) is not None, system.logs()
    report = pipeline_report(system, [slug], driver)
    assert_clean(report, system.logs())
    seated: dict[str, list[str]] = {}
    for ref, label in system.sql(TABLES_SQL, [slug]):
        seated.setdefault(ref, []).append(label)
    expected = {
        ref: sorted(tables) for ref, tables in replay_engine(load_scenario(SCENARIO)).assignment.items()
    }
    differ = sorted(ref for ref in set(seated) | set(expected) if seated.get(ref) != expected.get(ref))
    assert not differ, (
        f"{len(differ)} of {len(expected)} seated bookings differ from the replay (pipeline seated {len(seated)}); "
        f"first: {[(ref, seated.get(ref), expected.get(ref)) for ref in differ[:8]]}"
    )
    assert report["by_state"].get("confirmed", 0) == len(expected)
