"""The optimizer's solvers sit beside the engine's pure core: importable, and usable, with Django neither
configured nor imported (import-linter holds the same line in `make lint`)."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import optimization.solver

ROOT = Path(__file__).resolve().parents[2]


def test_every_solver_module_imports_and_solves_without_django():
    modules = sorted(
        f"optimization.solver.{m.name}" for m in pkgutil.iter_modules(optimization.solver.__path__)
    )
    assert {"optimization.solver.model", "optimization.solver.reseat"} <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "from assignments.engine import Floor, Request, TableSpec\n"
        "from optimization.solver.model import solve_max_covers\n"
        "floor = Floor((TableSpec('T1', 'main', 2, 4, False, False),), (), {'main': 0})\n"
        "sol = solve_max_covers(floor, [Request('a', 2, 0, 90), Request('b', 4, 30, 120)], time_limit=5)\n"
        "print(sol.covers, 'django' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DJANGO_SETTINGS_MODULE
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "False"], out.stdout + out.stderr
