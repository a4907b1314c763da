"""What `generate` and `board` show while they run: rich's live display on a terminal, plain
lines (or nothing) otherwise.

On a terminal, stderr shows from the first second what the run is doing: the stage of a
`generate`; for a `board` the staging of the school data, then a bar over the schools with
the time elapsed and left, each school's line printed above it as it finishes. Under cron,
with `NO_COLOR` or `TERM=dumb`, the school lines go to stdout as plain lines with no control
code; `--quiet`, `--json` and `--log-json` show nothing here (D892).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # rich itself loads only for a display that may draw (D1001)
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.status import Status

    from onsis_batch.plan.outcome import RunResult


def make_console() -> Console:
    """The console of the live display: stderr (tests replace it with a forced terminal)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def may_be_terminal() -> bool:
    """False when rich would surely find stderr no terminal (not a tty, and neither
    TTY_COMPATIBLE nor FORCE_COLOR says otherwise): a `generate` under cron, a pipe or a
    test then does without importing rich."""
    forced = bool(os.environ.get("TTY_COMPATIBLE")) or os.environ.get("FORCE_COLOR") is not None
    try:
        return forced or sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


def is_live(console: Console) -> bool:
    """Whether `console` may redraw: a terminal that asks for colour and escape codes."""
    if os.environ.get("NO_COLOR") or console.is_dumb_terminal:
        return False
    return console.is_terminal


class BoardDisplay:
    """The progress of a board run, used as a context manager around the run."""

    def __init__(self, lang: str, *, silent: bool) -> None:
        self.lang = lang
        self.total = 0  # the schools, set once they are chosen
        self.console = make_console()
        self.live = not silent and is_live(self.console)
        self.plain = not silent and not self.live
        self.progress: Progress | None = None
        self.staging: TaskID | None = None
        self.schools: TaskID | None = None

    def __enter__(self) -> BoardDisplay:
        from onsis_batch.report.i18n import word

        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.staging = self.progress.add_task(word(self.lang, "board_staging"), total=None)
            self.progress.start()  # drawn at once: the staging shows from the first second
        return self

    def staged(self) -> None:
        """The school data is staged: the bar over the schools takes over."""
        from onsis_batch.report.i18n import word

        if self.progress is None or self.schools is not None:
            return
        if self.staging is not None:
            self.progress.remove_task(self.staging)
        label = word(self.lang, "board_schools")
        self.schools = self.progress.add_task(label, total=self.total)

    def finished(self, result: RunResult) -> None:
        """One more school finished: its line (and first findings if it failed)."""
        from onsis_batch.report.board import school_lines

        lines = school_lines(result, self.lang)
        if self.progress is not None:
            self.staged()  # a run that stopped before staging still counts its schools
            for line in lines:
                self.progress.console.print(line, markup=False, highlight=False)
            assert self.schools is not None
            self.progress.advance(self.schools)
        elif self.plain:
            for line in lines:
                click.echo(line)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        problem: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.progress is not None:
            self.progress.stop()


class StageDisplay:
    """The stage of a `generate` run as a spinner line on a terminal; nothing otherwise."""

    def __init__(self, lang: str, *, silent: bool) -> None:
        self.lang = lang
        self.status: Status | None = None
        if silent or os.environ.get("NO_COLOR") or not may_be_terminal():
            return
        console = make_console()
        if is_live(console):
            self.status = console.status("", spinner="dots")

    def __enter__(self) -> StageDisplay:
        if self.status is not None:
            self.status.start()
        return self

    def __call__(self, stage: str) -> None:
        """Show the stage the run has reached, in the display's language."""
        from onsis_batch.report.i18n import stage_text

        if self.status is not None:
            self.status.update(f"{stage_text(stage, self.lang)}…")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        problem: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.status is not None:
            self.status.stop()
