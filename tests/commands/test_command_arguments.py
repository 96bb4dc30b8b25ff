"""Every Maitre command: a clear error for a missing or unreadable file and for impossible numbers, before any
work starts; help text and the default for every argument."""

from __future__ import annotations

import argparse
import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from assignments.management.base import HelpWithDefaultsFormatter, MaitreCommand

SMALL = str(settings.BASE_DIR / "scenarios" / "sample-small.json")
OUR_APPS = ("assignments", "availability", "optimization", "tenancy", "webhooks", "bench")
OURS = sorted(name for name, app in get_commands().items() if app in OUR_APPS)
BASE_OPTIONS = {
    "help",
    "version",
    "verbosity",
    "settings",
    "pythonpath",
    "traceback",
    "no_color",
    "force_color",
    "skip_checks",
}


def fails(*args, match: str) -> str:
    with pytest.raises(CommandError) as exc:
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert re.search(match, str(exc.value)), str(exc.value)
    assert "Errno" not in str(exc.value) and "Traceback" not in str(exc.value)
    return str(exc.value)


@pytest.fixture
def bad_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "scenario/v1",\n "name": }')
    return str(path)


@pytest.fixture
def bad_field(tmp_path):
    doc = json.loads((settings.BASE_DIR / "scenarios" / "sample-small.json").read_text())
    doc["tables"][2]["zone"] = "cellar"
    path = tmp_path / "bad-zone.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_the_commands_are_all_maitre_commands():
    assert {
        "demo",
        "bench_engine",
        "bench_availability",
        "loadtest",
        "optimize_day",
        "generate_scenario",
        "import_scenario",
        "export_scenario",
    } <= set(OURS)
    for name in OURS:
        assert isinstance(load_command_class(get_commands()[name], name), MaitreCommand), name


@pytest.mark.parametrize("name", OURS)
def test_every_argument_has_help_and_shows_its_default(name, monkeypatch):
    monkeypatch.setenv(
        "COLUMNS", "2000"
    )  # one line per option: long defaults are not wrapped at their hyphens
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("manage.py", name)
    assert parser.formatter_class is HelpWithDefaultsFormatter
    text = " ".join(parser.format_help().split())
    for action in parser._actions:
        if action.dest in BASE_OPTIONS:
            continue
        assert action.help, f"{name} {action.dest}: no help text"
        if action.default not in (None, False, argparse.SUPPRESS):
            d = action.default
            shown = (
                " ".join(map(str, d)) if isinstance(d, list) else f"{d:g}" if isinstance(d, float) else str(d)
            )
            assert re.search(rf"default:? {re.escape(shown)}\b", text), (
                f"{name} {action.dest}: default not shown"
            )


@pytest.mark.parametrize("command", ["demo", "bench_engine", "bench_availability", "import_scenario"])
def test_a_missing_file_is_named_with_what_is_wrong(command, db):
    fails(
        command,
        "scenarios/sample-smal.json",
        match=r"^scenarios/sample-smal\.json: no such file \(in scenarios: .*sample-small\.json",
    )


@pytest.mark.parametrize("command", ["demo", "bench_engine", "bench_availability", "import_scenario"])
def test_a_folder_or_a_broken_file_is_a_clear_error(command, tmp_path, bad_json, bad_field, db):
    fails(command, str(tmp_path), match=r"is a directory, not a file")
    fails(command, bad_json, match=r"broken\.json: \(document\): invalid JSON at line 2 column 10")
    fails(command, bad_field, match=r"bad-zone\.json: tables\[2\]\.zone: ")


def test_bench_engine_checks_every_file_before_the_long_work(tmp_path):
    fails("bench_engine", SMALL, str(tmp_path / "nope.json"), match=r"nope\.json: no such file")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("demo", SMALL, "--timeout", "0"), r"--timeout: must be greater than 0"),
        (("demo", SMALL, "--port", "70000"), r"--port: must be between 1 and 65535"),
        (("demo", SMALL, "--existing", "maybe"), r"--existing: invalid choice: 'maybe'"),
        (("bench_engine", SMALL, "--time-limit", "-1"), r"--time-limit: must be greater than 0, got -1"),
        (("bench_engine", SMALL, "--freeze-minutes", "ten"), r"--freeze-minutes: not an integer: 'ten'"),
        (
            ("bench_engine", SMALL, "--assignments-out", SMALL),
            r"--assignments-out: .* is a file, not a folder",
        ),
        (("bench_availability", SMALL, "--slot", "25:00"), r"--slot: not a time HH:MM: '25:00'"),
        (
            ("bench_availability", SMALL, "--seat", "400"),
            r"--seat: the scenario has 39 bookings, cannot seat 400",
        ),
        (("bench_availability", SMALL, "--changes", "0"), r"--changes: must be at least 1, got 0"),
        (("loadtest", SMALL, "--workers", "0"), r"--workers: must be at least 1, got 0"),
        (("loadtest", SMALL, "--rate", "nan"), r"--rate: not a finite number"),
        (("generate_scenario", "--load", "-1"), r"--load: must be greater than 0, got -1"),
        (("generate_scenario", "--tables", "0"), r"--tables: must be at least 1, got 0"),
        (("generate_scenario", "--zones", "99"), r"--zones: at most \d+, got 99"),
        (
            ("generate_scenario", "--tables", "2", "--zones", "3"),
            r"--tables: needs at least one table per zone",
        ),
        (("generate_scenario", "--bookings", "0"), r"--bookings: must be at least 1"),
        (("optimize_day", "nowhere"), r"no restaurant 'nowhere'; there is no restaurant yet"),
        (("optimize_day", "x", "--time-limit", "0"), r"--time-limit: must be greater than 0"),
        (("optimize_day", "x", "--min-improvement", "-0.1"), r"--min-improvement: must be at least 0"),
        (("export_scenario", "nowhere"), r"no restaurant 'nowhere'"),
        (("relay_outbox", "--batch-size", "0"), r"--batch-size: must be at least 1"),
        (("backfill_state_history", "--batch-size", "-5"), r"--batch-size: must be at least 1"),
        # A LIMIT beyond a bigint: a DataError traceback on PostgreSQL.
        (("relay_outbox", "--batch-size", "1" + "0" * 20), r"--batch-size: must be at most 100000"),
        (("backfill_state_history", "--batch-size", "1" + "0" * 20), r"--batch-size: must be at most 100000"),
        (("mark_no_shows", "--batch-size", "100001"), r"--batch-size: must be at most 100000"),
        (
            ("relay_outbox", "--loop", "--interval", "1e308"),
            r"--interval: must be at most 86400",
        ),  # OverflowError
        # A negative --poll-ms killed every consumer thread (ValueError) while the process ran on, consuming
        # nothing; so did a misspelt queue, silently.
        (("worker", "--poll-ms", "-1"), r"--poll-ms: must be at least 1, got -1"),
        (
            ("worker", "--queues", "asignments"),
            r"^--queues: no queue 'asignments'; declared: assignments, default",
        ),
        (
            ("bench_references", SMALL, "--out", SMALL),
            r"--out: .* is a file, not a folder",
        ),  # FileExistsError
    ],
)
def test_impossible_arguments_are_refused_before_any_work(args, match, db):
    fails(*args, match=match)


def test_generate_scenario_refuses_a_folder_as_output(tmp_path):
    fails("generate_scenario", "--out", str(tmp_path), match=r"is a directory; give a file name")


def test_bad_dates_name_the_option(sample_restaurant):
    fails("optimize_day", sample_restaurant.slug, "--date", "05/09/2026", match=r"^--date: ")
    fails("optimize_day", sample_restaurant.slug, "--now", "tonight", match=r"^--now: ")
    fails("export_scenario", sample_restaurant.slug, "--date", "tomorrow", match=r"^--date: not a date")
    fails("optimize_day", "nowhere", match=rf"restaurants here: {sample_restaurant.slug}")


def test_a_date_no_datetime_can_carry_is_refused_naming_the_option(sample_restaurant):
    """An OverflowError traceback before (9999-12-31 in the restaurant's zone runs past the year 9999)."""
    slug = sample_restaurant.slug
    fails("optimize_day", slug, "--date", "9999-12-31", match=r"^--date: must be between 1970-01-01 and 9998")
    fails("optimize_day", slug, "--now", "9999-12-31T23:59", match=r"^--now: must be between")
    fails("optimize_day", slug, "--now", "0001-01-01T00:00", match=r"^--now: must be between")
    fails("export_scenario", slug, "--date", "0001-01-01", match=r"^--date: must be between")


def test_shadow_report_names_the_restaurants_there_are_and_takes_an_id(sample_restaurant):
    fails(
        "shadow_report",
        "--restaurant",
        "nowhere",
        match=rf"^no restaurant 'nowhere'; restaurants here: {sample_restaurant.slug}",
    )
    out = io.StringIO()
    call_command("shadow_report", "--restaurant", str(sample_restaurant.pk), stdout=out)
    assert "bookings compared" in out.getvalue()


def test_a_restaurant_named_by_a_digit_int_refuses_is_unknown(sample_restaurant):
    """'²' passed str.isdigit() and then int() raised a ValueError (a traceback)."""
    fails("export_scenario", "²", match=r"^no restaurant '²'; restaurants here: ")
    fails("optimize_day", "²", match=r"^no restaurant '²'")


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("", r"^name: This field cannot be blank"),  # was a ValueError traceback
        ("a" * 151, r"^name: Ensure this value has at most 150 characters"),  # a DataError on PostgreSQL
        ("partner x/1", r"^name: Enter a valid username"),
    ],
)
def test_create_api_client_refuses_a_name_no_user_can_have(name, match, sample_restaurant):
    from django.contrib.auth.models import User

    fails("create_api_client", name, "--restaurant", sample_restaurant.slug, match=match)
    assert not User.objects.exists()


def test_db_change_plan_names_a_bad_output_or_database(tmp_path, db):
    fails("db_change_plan", "--out", str(tmp_path), match=r"is a directory; give a file name")
    fails("db_change_plan", "--database", "nope", match=r"^--database: no database 'nope'; known: default")


def test_db_rollback_cleanup_refuses_a_folder_before_handing_anything_back(restaurant, tmp_path):
    from django.contrib.auth.models import User

    from assignments import lifecycle
    from assignments.models import OutboxEvent
    from assignments.services import outbox
    from tenancy.services import membership_grant
    from tests.factories import make_booking
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_subscription_create

    platform = User.objects.create_user("platform")
    membership_grant(user=platform, restaurant=restaurant)
    webhook_subscription_create(owner=platform, url="http://127.0.0.1:8141/h", event_types=[])
    lifecycle.booking_request_assignment(booking=make_booking(restaurant))
    outbox.outbox_relay(publish=lambda events: None)
    published = set(OutboxEvent.objects.filter(published_at__isnull=False).values_list("pk", flat=True))
    waiting = WebhookDelivery.objects.count()
    assert published and waiting

    fails("db_rollback_cleanup", "--webhooks-out", str(tmp_path), match=r"is a directory; give a file name")

    assert (
        set(OutboxEvent.objects.filter(published_at__isnull=False).values_list("pk", flat=True)) == published
    )
    assert WebhookDelivery.objects.count() == waiting
