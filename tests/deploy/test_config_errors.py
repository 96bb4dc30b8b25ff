"""A setting the process cannot run with stops it with one line naming the variable, what it holds and what was
expected, and a non-zero status: `MAITRE_BATCH_SIZE=abc` ended `manage.py` (any command, the worker included),
the worker and the web with a traceback whose last line was "invalid literal for int() with base 10: 'abc'".
Ranges are the system check's (maitre.E001, tests/assignments/test_settings_check.py)."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import runpy
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from assignments.conf import MaitreSettings


def run(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("MAITRE_", "DB_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**base, "MAITRE_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("command", "env", "line"),
    [
        (["check"], {"MAITRE_BATCH_SIZE": "abc"}, 'MAITRE_BATCH_SIZE="abc" is not a whole number'),
        (["check"], {"MAITRE_BATCH_SIZE": "2.5"}, 'MAITRE_BATCH_SIZE="2.5" is not a whole number'),
        (
            ["check"],
            {"MAITRE_SWEEP_INTERVAL_SECONDS": "500ms"},  # environ read it as 500
            'MAITRE_SWEEP_INTERVAL_SECONDS="500ms" is not a number',
        ),
        (
            ["migrate", "--check"],
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/maitre", "DB_POOL_MAX_SIZE": "x"},
            'DB_POOL_MAX_SIZE="x" is not a whole number',
        ),
        (
            ["check"],
            {"DATABASE_URL": "postgres://maitre:hunter2@db:5432/maitre", "DB_POOL_TIMEOUT": ""},
            'DB_POOL_TIMEOUT="" is not a number',
        ),
        (
            ["check"],
            {
                "DATABASE_URL": "postgres://maitre:hunter2@db:port/maitre"
            },  # the password stays out of the logs
            'DATABASE_URL="postgres://maitre:***@db:port/maitre" is not a database URL '
            "(postgres://user:password@host:port/name, or sqlite:///path)",
        ),
        (
            ["check"],
            {
                "DATABASE_URL": "postgres://maitre:abc/def@db:5432/maitre"
            },  # "/" in it: urlsplit cannot find it
            'DATABASE_URL="postgres://maitre:***@db:5432/maitre" is not a database URL '
            "(postgres://user:password@host:port/name, or sqlite:///path)",
        ),
        (
            ["check"],
            {"REDIS_URL": "redis://:abc/def@cache:6379/0"},
            'REDIS_URL="redis://:***@cache:6379/0" is not a Redis URL (redis://host:port/db, rediss://... or unix://...)',
        ),
        (
            ["check"],
            {"REDIS_URL": "127.0.0.1:6379"},
            'REDIS_URL="127.0.0.1:6379" is not a Redis URL (redis://host:port/db, rediss://... or unix://...)',
        ),
        (
            ["check"],
            {"MAITRE_THROTTLE_RATES": "bookings.burst:5/s"},
            'MAITRE_THROTTLE_RATES="bookings.burst:5/s" is not a list of key=value pairs separated by commas',
        ),
        (
            ["check"],
            {"MAITRE_RESEAT": "flase"},  # environ read it as false: re-seating off without a word
            'MAITRE_RESEAT="flase" is not true or false (1/0, true/false, yes/no, on/off)',
        ),
        (["worker", "--threads", "2"], {"EMAIL_TIMEOUT": "20s"}, 'EMAIL_TIMEOUT="20s" is not a whole number'),
        (
            ["check"],
            {"DJANGO_SETTINGS_MODULE": "config.settings.prod"},
            "SECRET_KEY is not set; production needs a random value of at least 50 characters",
        ),
        (
            ["check", "--deploy"],
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.prod",
                "SECRET_KEY": "change-me-to-50-random-characters",
            },
            "SECRET_KEY holds 33 characters; production needs a random value of at least 50 characters",
        ),
    ],
)
def test_manage_py_says_which_variable_in_one_line(tmp_path, command, env, line):
    done = run(["manage.py", *command], tmp_path, **env)

    assert (done.returncode, done.stderr, done.stdout) == (2, f"maitre: {line}\n", "")


def test_the_web_entry_points_raise_the_same_line_for_the_server_to_print(tmp_path):
    for module in ("config.asgi", "config.wsgi"):
        done = run(["-c", f"import {module}"], tmp_path, MAITRE_STREAM_MAX_SECONDS="5m")

        assert done.returncode != 0
        assert done.stderr.splitlines()[-1] == (
            'django.core.exceptions.ImproperlyConfigured: MAITRE_STREAM_MAX_SECONDS="5m" is not a number'
        )


def test_a_good_environment_still_starts(tmp_path):
    done = run(
        ["manage.py", "check"],
        tmp_path,
        MAITRE_BATCH_SIZE=" 20 ",
        MAITRE_SWEEP_INTERVAL_SECONDS="0.5",
        MAITRE_RESEAT="Off",
        MAITRE_FLOOR_HEAL="yes",
    )

    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "field",
    [f for f in dataclasses.fields(MaitreSettings) if f.type in ("int", "float")],
    ids=lambda f: f.name,
)
def test_every_knob_the_settings_check_names_is_read_by_the_variable_it_names(monkeypatch, tmp_path, field):
    """maitre.E001's hint says "Set MAITRE_<NAME>": that variable is the one read, and a value that is not a
    number stops the settings with its name, whole numbers for the whole-number knobs."""
    monkeypatch.setenv("MAITRE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv(f"MAITRE_{field.name}", "many")
    expected = "a whole number" if field.type == "int" else "a number"

    with pytest.raises(ImproperlyConfigured) as raised:
        runpy.run_path(str(settings.BASE_DIR / "config" / "settings" / "base.py"))

    assert str(raised.value) == f'MAITRE_{field.name}="many" is not {expected}'


def test_the_line_keeps_the_cause_of_an_error_django_wraps(monkeypatch, capsys):
    """Django wraps some errors in ImproperlyConfigured (a missing libpq: "Error loading psycopg2 or psycopg
    module"); the one line kept only the wrapper, and the cause was gone from the supervisor's log."""
    import django.core.management

    spec = importlib.util.spec_from_file_location("manage_under_test", settings.BASE_DIR / "manage.py")
    manage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manage)

    def wrapped(argv):
        try:
            raise ImportError("no pq wrapper available")
        except ImportError as exc:
            raise ImproperlyConfigured("Error loading psycopg2 or psycopg module") from exc

    monkeypatch.setattr(django.core.management, "execute_from_command_line", wrapped)
    monkeypatch.setattr(sys, "argv", ["manage.py", "migrate"])

    with pytest.raises(SystemExit) as stopped:
        manage.main()

    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "maitre: Error loading psycopg2 or psycopg module (ImportError: no pq wrapper available)\n"
    )
