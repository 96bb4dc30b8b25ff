"""Progress for long management commands: one bar per phase with counts, elapsed time and an ETA.

Drawn with rich on the command's stderr, so stdout keeps only the results (a `--json` object stays clean).
Quiet when stderr is not a terminal (CI logs, pipes, tests) and when the command prints JSON.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class CommandProgress:
    """Use as a context manager: `phase()` starts a bar (finishing the previous one), `update()` moves it,
    `note()` prints a line above the bars. Every method is a no-op when progress is off."""

    def __init__(self, command, *, json: bool = False):
        stream = getattr(command.stderr, "_out", command.stderr)
        self.enabled = not json and command.stderr.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if self.enabled:
            console = Console(file=stream, force_terminal=True, highlight=False)
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
            )

    def __enter__(self) -> CommandProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()
        if self._progress is not None:
            self._progress.stop()

    def phase(self, description: str, total: int | None = None) -> None:
        if self._progress is None:
            return
        self.finish()
        self._task = self._progress.add_task(description, total=total)

    def update(self, completed: int, total: int | None = None) -> None:
        if self._progress is None or self._task is None:
            return
        if total is not None:
            self._progress.update(self._task, completed=completed, total=total)
        else:
            self._progress.update(self._task, completed=completed)

    def finish(self) -> None:
        """Mark the current phase done (its bar full, even when its total was never known)."""
        if self._progress is None or self._task is None:
            return
        task = self._progress.tasks[self._task]
        total = task.total if task.total is not None else max(task.completed, 1)
        self._progress.update(self._task, total=total, completed=total)
        self._progress.stop_task(self._task)
        self._task = None

    def note(self, message: str) -> None:
        if self._progress is not None:
            self._progress.console.print(message)
