"""Scenario import/export: the samples round-trip exactly, and each kind of bad file is refused by name."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assignments.models import Booking, BookingStateHistory, Restaurant, Table, TableAdjacency
from assignments.scenario import load_scenario, parse_scenario
from assignments.services.scenarios import scenario_export, scenario_import

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("sample-*.json"))


def _normalised(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["adjacency"] = sorted(sorted(e) for e in doc["adjacency"])
    return doc


@pytest.mark.django_db
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_samples_round_trip(path):
    original = json.loads(path.read_text())
    restaurant = scenario_import(scenario=parse_scenario(original))

    exported = scenario_export(restaurant=restaurant)

    assert _normalised(exported) == _normalised(original)
    assert parse_scenario(exported) is not None
    assert Booking.objects.filter(restaurant=restaurant, state="pending", version=1).count() == len(
        original["bookings"]
    )
    assert BookingStateHistory.objects.filter(booking__restaurant=restaurant).count() == len(
        original["bookings"]
    )


@pytest.mark.django_db
def test_import_command_and_replace(tmp_path):
    path = str(SAMPLES[0])
    call_command("import_scenario", path, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_scenario", path)
    call_command("import_scenario", path, "--replace", stdout=io.StringIO())
    assert Restaurant.objects.count() == 1


def _sample() -> dict:
    return json.loads(SAMPLES[0].read_text())


def _bad(mutate):
    doc = _sample()
    mutate(doc)
    return doc


BAD = {
    "format tag": (lambda d: d.update(format="scenario/v2"), "format"),
    "unknown zone": (lambda d: d["tables"][0].update(zone="roof"), "tables[0].zone"),
    "unknown table in adjacency": (lambda d: d["adjacency"].append(["M01", "Z99"]), "adjacency["),
    "self edge": (lambda d: d["adjacency"].append(["M01", "M01"]), "adjacency["),
    "duplicate edge": (lambda d: d["adjacency"].append(list(reversed(d["adjacency"][0]))), "adjacency["),
    "party size < 1": (lambda d: d["bookings"][0].update(party_size=0), "bookings[0].party_size"),
    "start outside service": (lambda d: d["bookings"][0].update(start="09:00"), "bookings[0].start"),
    "bad time": (lambda d: d["bookings"][0].update(start="25:99"), "bookings[0].start"),
    "unknown preferred zone": (
        lambda d: d["bookings"][0].update(preferred_zone="roof"),
        "bookings[0].preferred_zone",
    ),
    "max < min covers": (lambda d: d["tables"][0].update(min_covers=5, max_covers=2), "tables[0].max_covers"),
    "unknown time zone": (lambda d: d["restaurant"].update(timezone="Mars/Olympus"), "restaurant.timezone"),
    "missing bookings": (lambda d: d.pop("bookings"), "bookings"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_name_the_field_and_write_nothing(tmp_path, case):
    mutate, field = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad(mutate)))

    with pytest.raises(CommandError) as err:
        call_command("import_scenario", str(path))

    assert field in str(err.value)
    assert (
        not Restaurant.objects.exists() and not Table.objects.exists() and not TableAdjacency.objects.exists()
    )


@pytest.mark.django_db
def test_bad_json_says_where(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "scenario/v1", ')
    with pytest.raises(CommandError, match="invalid JSON at line 1"):
        call_command("import_scenario", str(path))
    assert not Restaurant.objects.exists()


def test_turn_time_fills_a_missing_duration():
    s = load_scenario(SAMPLES[0])
    b = next(b for b in s.bookings if not b.explicit_duration and b.party_size == 3)
    assert b.duration_minutes == s.restaurant.turn_minutes["4"]
