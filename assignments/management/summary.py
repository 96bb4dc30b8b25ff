"""The short summary table every long-running command ends with."""

from __future__ import annotations

from collections.abc import Iterable


def write_summary(command, title: str, rows: Iterable[tuple[str, object]]) -> None:
    rows = list(rows)
    width = max((len(k) for k, _ in rows), default=0)
    command.stdout.write(command.style.MIGRATE_HEADING(title))
    for key, value in rows:
        command.stdout.write(f"  {key:<{width}}  {value}")
