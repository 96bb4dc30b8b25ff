"""Every command the README shows is run somewhere: by a test here or elsewhere in the suite, or by a CI step.
The list below is checked against the README, so a new command there without a test fails this file."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands

from assignments.models import Booking, OutboxEvent, Restaurant
from tests.deploy.processes import stop_group

ROOT = settings.BASE_DIR
SMALL = str(ROOT / "scenarios" / "sample-small.json")
OUR_APPS = ("assignments", "availability", "optimization", "bench")

# README command -> where it runs: "tests/<file>::<test>" or "ci: <text of the .ci/run step>".
RUN_BY = {
    "make demo": [
        "ci: make demo",
        "tests/commands/test_demo_console.py::test_the_demo_lands_on_tonight_and_its_links_open_for_the_printed_login",
    ],
    "make run": ["tests/commands/test_readme_commands.py::test_make_run_serves_the_app_on_the_port_given"],
    "make test": ["ci: make test"],
    "make lint": ["ci: make lint"],
    "make bench": ["tests/commands/test_readme_commands.py::test_make_bench_is_bench_engine_on_the_samples"],
    "make test-fast": [
        "tests/commands/test_readme_commands.py::test_make_test_fast_is_the_suite_without_the_slow_tests"
    ],
    "make engine-sets": [
        "tests/commands/test_readme_commands.py::test_make_engine_sets_generates_the_documented_days"
    ],
    "demo": ["tests/commands/test_demo_console.py::test_a_second_demo_keeps_a_booking_made_through_the_api"],
    "import_scenario": ["tests/commands/test_readme_commands.py::test_generate_import_export_round_trip"],
    "export_scenario": ["tests/commands/test_readme_commands.py::test_generate_import_export_round_trip"],
    "generate_scenario": ["tests/commands/test_readme_commands.py::test_generate_import_export_round_trip"],
    "bench_engine": [
        "tests/bench/test_bench_commands.py::test_bench_engine_shows_each_phase_with_counts_on_a_terminal"
    ],
    "bench_references": [
        "tests/bench/test_references.py::test_bench_references_keeps_exact_references_that_bench_engine_reuses"
    ],
    "bench_swaps": [
        "tests/bench/test_benchmarking.py::test_bench_swaps_command_summarises_by_kind_of_decision"
    ],
    "bench_availability": [
        "tests/bench/test_bench_commands.py::test_bench_availability_measures_a_small_day"
    ],
    "loadtest": ["tests/bench/test_bench_commands.py::test_loadtest_seats_a_small_day_with_real_workers"],
    "bench_heal": [
        "tests/bench/test_bench_commands.py::test_bench_heal_times_a_freed_table_seating_the_party_in_review"
    ],
    "worker": [
        "tests/coordinator/test_worker_process.py::test_the_worker_process_seats_woken_bookings_and_stops_cleanly_on_sigterm",
        "tests/bench/test_bench_commands.py::test_loadtest_seats_a_small_day_with_real_workers",
    ],
    "optimize_day": [
        "tests/commands/test_command_output.py::test_the_dry_run_lists_the_moves_it_would_make",
        "tests/optimization/test_day_optimizer.py::test_command_applies_and_summarises",
    ],
    "shadow_report": ["tests/coordinator/test_rollout_commands.py::test_shadow_report_counts_agreement"],
    "backfill_state_history": [
        "tests/coordinator/test_rollout_commands.py::test_backfill_dry_run_writes_nothing"
    ],
    "relay_outbox": ["tests/commands/test_readme_commands.py::test_relay_outbox_publishes_and_loops"],
    "sweep_holds": ["tests/availability/test_holds.py::test_the_sweep_command_and_actor"],
    "mark_no_shows": [
        "tests/assignments/test_no_show_sweep.py::test_the_command_runs_the_sweep_once_and_prints_a_summary"
    ],
    "scheduler": [
        "tests/deploy/test_topology.py::test_the_scheduler_takes_its_lock_back_after_losing_it_and_a_second_one_stands_by"
    ],
    "create_api_client": [
        "tests/api/test_tenancy.py::test_create_api_client_prints_a_token_for_its_restaurants_only"
    ],
    "db_change_plan": [
        "tests/deploy/test_db_change_plan.py::test_the_plan_lists_unapplied_migrations_with_sql_and_rollback"
    ],
    "db_rollback_cleanup": [
        "tests/deploy/test_db_change_plan.py::test_forward_back_with_clean_up_and_forward_again_keeps_the_bookings_and_their_emails"
    ],
    "make up": [
        "tests/commands/test_readme_commands.py::test_make_up_runs_the_procfile_on_postgres_and_redis"
    ],
    "check": [
        "tests/assignments/test_migrations_and_settings.py::test_production_settings_pass_the_deploy_checks"
    ],
    "migrate": ["tests/assignments/test_migrations_and_settings.py::test_migrations_go_to_zero_and_back"],
    "collectstatic": ["tests/deploy/test_static_files.py::test_a_production_server_serves_the_admin_css"],
}


def readme_commands() -> set[str]:
    """`make X` targets and management commands named in the README's code (spans and shell blocks)."""
    text = (ROOT / "README.md").read_text()
    code = re.findall(r"`([^`\n]+)`", text) + re.findall(r"^(?:make|python) .*$", text, re.M)
    commands = get_commands()
    found = set()
    for snippet in code:
        found |= {f"make {t}" for t in re.findall(r"(?:^|\s)make ([a-z][a-z-]*[a-z])", snippet)}
        words = snippet.replace("python ", "").split()
        if len(words) > 1 and words[0] == "manage.py" and words[1] in commands:
            found.add(words[1])
        elif words and commands.get(words[0]) in OUR_APPS:  # a bare name (the commands table) is one of ours
            found.add(words[0])
    return found


def test_every_readme_command_is_run_by_a_test_or_ci():
    named = readme_commands()
    assert {"make demo", "make run", "make test", "demo", "bench_engine", "collectstatic"} <= named
    missing = named - set(RUN_BY)
    assert not missing, f"README commands that no test or CI step runs: {sorted(missing)}"
    ci = (ROOT / ".ci" / "run").read_text()
    for command, places in RUN_BY.items():
        for place in places:
            if place.startswith("ci: "):
                assert place[4:] in ci, (command, place)
                continue
            path, test = place.split("::")
            assert re.search(rf"^def {test}\(", (ROOT / path).read_text(), re.M), (command, place)


def free_port() -> int:
    for port in range(8181, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8181-8199")


def embedded_env(tmp_path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["MAITRE_VAR_DIR"] = str(tmp_path / "var")
    return env


@pytest.mark.slow
@pytest.mark.embedded
def test_make_run_serves_the_app_on_the_port_given(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=embedded_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while (
            True
        ):  # (the development server restarts when a file changes: a refused or reset connection is retried)
            try:
                with (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as page,
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=2
                    ) as css,
                ):
                    assert (page.status, css.status) == (200, 200)
                    break
            except OSError:
                assert server.poll() is None, "make run exited"
                assert time.monotonic() < deadline, "make run did not answer within 120 s"
                time.sleep(0.5)
    finally:
        stop_group(server)


def test_make_bench_is_bench_engine_on_the_samples():
    """`make bench` takes minutes (the online limit on sample-large); bench_engine itself is run on sample-small
    by tests/commands/test_command_output.py. Here: the target runs that command on the three samples."""
    # --no-print-directory: under CI's `make test` this runs as a sub-make, which would add "Leaving directory"
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "bench"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in plan.splitlines() if "bench_engine" in x)
    assert "manage.py bench_engine" in line
    for sample in ("small", "medium", "large"):
        assert (
            f"scenarios/sample-{sample}.json" in line
            and (ROOT / "scenarios" / f"sample-{sample}.json").exists()
        )


def test_make_test_fast_is_the_suite_without_the_slow_tests():
    """`make test-fast` is `make test`'s pytest with the slow tests deselected (the whole suite is CI's)."""
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "test-fast"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in plan.splitlines() if "pytest" in x)
    assert "-m" in line and "not slow" in line


def test_make_engine_sets_generates_the_documented_days(tmp_path):
    """`make engine-sets` runs bench/engine_sets.sh; two of its 56 days, generated here, carry the names and
    the parameters docs/benchmarks/engine.md lists for them."""
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "engine-sets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "bench/engine_sets.sh var/engine-sets" in plan
    env = {**os.environ, "TUNING_SEEDS": "1019", "TEST_SEEDS": "2013"}
    subprocess.run(
        ["bash", "bench/engine_sets.sh", str(tmp_path), sys.executable],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    names = {p.name: json.loads(p.read_text())["name"] for p in tmp_path.glob("*/*.json")}
    assert names == {
        "s1019.json": "gen-12t-4z-load1.3-s1019-pairs",
        "s2013.json": "gen-12t-2z-load1.5-s2013-acc0.25",
    }
    doc = (ROOT / "docs" / "benchmarks" / "engine.md").read_text()
    assert "gen-12t-2z-load1.5-s2013-acc0.25" in doc


@pytest.mark.django_db
def test_generate_import_export_round_trip(tmp_path):
    out = tmp_path / "gen" / "tiny.json"
    call_command(
        "generate_scenario",
        "--tables",
        "8",
        "--zones",
        "2",
        "--load",
        "0.8",
        "--seed",
        "3",
        "--name",
        "tiny",
        "--out",
        str(out),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    doc = json.loads(out.read_text())
    said = io.StringIO()
    call_command("import_scenario", str(out), stdout=said)
    assert "Imported tiny: 2 zones, 8 tables" in said.getvalue()
    restaurant = Restaurant.objects.get(slug="tiny")
    assert Booking.objects.filter(restaurant=restaurant).count() == len(doc["bookings"]) > 0
    exported = tmp_path / "tiny-export.json"
    call_command("export_scenario", "tiny", "--out", str(exported), stderr=io.StringIO())
    back = json.loads(exported.read_text())
    assert back["restaurant"]["date"] == doc["restaurant"]["date"]
    assert sorted(b["id"] for b in back["bookings"]) == sorted(b["id"] for b in doc["bookings"])
    call_command("import_scenario", str(out), "--replace", stdout=io.StringIO())
    assert Restaurant.objects.filter(slug="tiny").count() == 1


@pytest.mark.django_db
def test_relay_outbox_publishes_and_loops(sample_restaurant, monkeypatch):
    assert OutboxEvent.objects.filter(published_at__isnull=True).exists()
    call_command("relay_outbox", stdout=io.StringIO())
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()

    from assignments.management.commands import relay_outbox

    sleeps = []

    def stop_after_two(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(relay_outbox.time, "sleep", stop_after_two)
    try:
        call_command("relay_outbox", "--loop", "--interval", "0.05", stdout=io.StringIO())
    except KeyboardInterrupt:
        pass
    assert sleeps == [0.05, 0.05]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_make_up_runs_the_procfile_on_postgres_and_redis(tmp_path):
    from django.db import connection

    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        MAITRE_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=secrets.token_urlsafe(60),
    )
    port = free_port()
    up = subprocess.Popen(
        ["make", "up", f"UP_PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = urllib.request.Request(
                    f"http://127.0.0.1:{port}/health/", headers={"X-Forwarded-Proto": "https"}
                )  # as behind the proxy
                with urllib.request.urlopen(health, timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert up.poll() is None, "make up exited"
                assert time.monotonic() < deadline, "make up did not answer within 120 s"
                time.sleep(0.5)
    finally:
        stop_group(up)
