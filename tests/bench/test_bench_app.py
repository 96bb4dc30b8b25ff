"""The bench app is a development tool: installed by the dev and test settings only, absent from the wheel."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR


def test_production_settings_leave_the_bench_app_and_its_commands_out():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(64),
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.core.management import get_commands; "
        "print('bench' in settings.INSTALLED_APPS, 'bench_engine' in get_commands(), 'demo' in get_commands())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["False", "False", "True"], out.stdout + out.stderr


def test_the_test_settings_have_the_bench_commands():
    from django.core.management import get_commands

    assert "bench" in settings.INSTALLED_APPS
    assert {"bench_engine", "bench_swaps", "bench_availability", "loadtest", "generate_scenario"} <= {
        name for name, app in get_commands().items() if app == "bench"
    }


@pytest.mark.slow
def test_the_built_wheel_has_no_bench_code(tmp_path):
    source = tmp_path / "src"  # a copy: setuptools writes build/ and *.egg-info beside the sources
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "artifacts", "build", "*.egg-info"),
    )
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = tmp_path.glob("maitre-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("assignments/engine/") for n in names)
    assert not [n for n in names if n.startswith(("bench/", "tests/"))]
