"""The supervision examples (deploy/systemd, deploy/supervisor) run the Procfile's processes, the ones the system
tests break and the docs describe. The worker units ran `manage.py rundramatiq`: Dramatiq consumers without the
Postgres sweep (a due booking whose wake-up was lost waited for the per-minute requeue, or for ever with Redis
down) and without the metrics heartbeat (`maitre_process_up{role="worker"}` absent: MaitreNoWorker fired for
good)."""

from __future__ import annotations

import configparser
import re

from django.conf import settings

ROOT = settings.BASE_DIR
VENV_BIN = "/srv/maitre/.venv/bin/"


def _procfile() -> dict[str, str]:
    rows = (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    return {name.strip(): re.sub(r"\$\{PORT:-(\d+)\}", r"\1", command).strip() for name, command in rows}


def _plain(command: str) -> str:
    return " ".join(command.replace(VENV_BIN, "").split())


def test_the_systemd_units_run_the_procfile_commands():
    procfile = _procfile()
    assert set(procfile) == {"web", "worker", "scheduler"}
    for name, command in procfile.items():
        unit = next((ROOT / "deploy" / "systemd").glob(f"maitre-{name}*.service"))
        (exec_start,) = re.findall(r"^ExecStart=(.+)$", unit.read_text(), re.MULTILINE)
        assert _plain(exec_start) == command, unit.name


def test_the_supervisor_programs_run_the_procfile_commands():
    conf = configparser.RawConfigParser()
    conf.read(ROOT / "deploy" / "supervisor" / "maitre.conf")
    for name, command in _procfile().items():
        assert _plain(conf[f"program:maitre-{name}"]["command"]) == command, name
