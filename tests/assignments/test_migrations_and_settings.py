"""Migrations are reversible; production settings refuse an unsafe start and pass the deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.embedded
def test_migrations_go_to_zero_and_back():
    call_command("migrate", "assignments", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert "assignments_booking" not in tables and "booking_state_history" not in tables
    call_command("migrate", verbosity=0)
    tables = connection.introspection.table_names()
    assert {"assignments_booking", "booking_state_history", "booking_assignment_attempts"} <= set(tables)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_constraint WHERE conname = 'allocation_no_overlap'")
            assert cur.fetchone() is not None


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_refuse_to_start_without_a_real_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    result = _manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


@pytest.mark.slow
@pytest.mark.embedded
def test_production_settings_pass_the_deploy_checks():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-value-for-tests-0123456789",
        "ALLOWED_HOSTS": "maitre.example.com",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
