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
from rich.table import Column


class CommandProgress:
    """Use as a context manager. `overall()` is the top bar (scenarios, bookings); `phase()` starts the bar of
    the current step, replacing the previous one, which leaves a "done in N s" line above the bars; `update()`
    moves the current step. Every method is a no-op when progress is off."""

    def __init__(self, command, *, json: bool = False):
        self._command = command
        stream = getattr(command.stderr, "_out", command.stderr)
        self.enabled = not json and command.stderr.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._overall: TaskID | None = None
        if self.enabled:
            console = Console(file=stream, force_terminal=True, highlight=False)
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn(
                    "{task.description}", table_column=Column(width=58, no_wrap=True, overflow="ellipsis")
                ),
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
            if self._overall is not None:
                self._progress.remove_task(self._overall)
            self._progress.stop()

    def overall(self, description: str, total: int | None = None) -> None:
        if self._progress is not None:
            self._overall = self._progress.add_task(description, total=total)

    def advance_overall(self, by: int = 1) -> None:
        if self._progress is not None and self._overall is not None:
            self._progress.advance(self._overall, by)

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
        """End the current step: its bar goes, a line with its time stays."""
        if self._progress is None or self._task is None:
            return
        task = next(t for t in self._progress.tasks if t.id == self._task)
        counted = f" ({task.total:g})" if task.total else ""
        self.note(f"  done: {task.description}{counted} in {task.elapsed or 0:.1f} s")
        self._progress.remove_task(self._task)
        self._task = None

    def note(self, message: str) -> None:
        """A line on the terminal above the bars (nothing when progress is off)."""
        if self._progress is not None:
            self._progress.console.print(message, markup=False)

    def write(self, text: str) -> None:
        """Results for stdout while the bars run: above the bars when both go to the same terminal."""
        if self._progress is not None and self._command.stdout.isatty():
            self._progress.console.print(text, markup=False)
        else:
            self._command.stdout.write(text)
