"""`make test-fast` leaves out the tests marked slow (whole directories through tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.conf import settings


def _collected(target: str, *paths: str) -> str:
    env = {**os.environ, "PYTEST_ADDOPTS": ""}
    args = f"--collect-only -q -p no:cacheprovider {' '.join(paths)}"
    out = subprocess.run(
        ["make", "-s", target, f"PYTEST_ARGS={args}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode in (0, 5), out.stdout + out.stderr  # 5: everything deselected
    return out.stdout


@pytest.mark.slow
def test_make_test_fast_leaves_out_the_slow_tests():
    paths = (
        "tests/system/test_harness.py",
        "tests/coordinator/test_worker_process.py",
        "tests/engine/test_no_django.py",
    )
    everything = _collected("test", *paths)
    fast = _collected("test-fast", *paths)
    assert (
        "tests/system/test_harness.py::" in everything
        and "tests/coordinator/test_worker_process.py::" in everything
    )
    assert "tests/system/" not in fast and "test_worker_process.py" not in fast
    assert "tests/engine/test_no_django.py::test_engine_and_model_import_no_django" in fast
