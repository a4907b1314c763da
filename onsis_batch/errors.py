"""Exit codes and the one exception family the library raises to stop a command.

The library raises an `OnsisBatchError` (a usage problem, inputs that cannot be used, an
output folder another run holds); the command line turns it into its message or findings
and its exit code, in one place (`cli.command`). Anything else that escapes is a bug:
exit code 3. This module imports nothing heavy, so `--help` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onsis_batch.findings import Finding

EXIT_CLEAN = 0  # nothing to fix
EXIT_ERRORS = 1  # findings of severity error (the file may still be written)
EXIT_INPUT = 2  # unusable input, a usage error or an output folder in use: no output
EXIT_INTERNAL = 3  # a failure of the tool itself
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT), as shells report 128 + 2
DEBUG_VARIABLE = "ONSIS_BATCH_DEBUG"  # 1 (or --debug): internal errors print a traceback


def debugging() -> bool:
    """Whether an internal error prints its full traceback (`--debug`, which sets
    ONSIS_BATCH_DEBUG=1 so board workers see it too, or the variable set by the caller)."""
    return os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")


class OnsisBatchError(Exception):
    """A problem that stops a command: a message or findings to show, and the exit code."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)

    def lines(self) -> list[str]:
        """What to tell the user: one line per finding, or the message."""
        return [str(item) for item in self.findings] or [str(self)]


class UsageError(OnsisBatchError):
    """Options that do not fit together (shown like a command-line usage error)."""


class InputError(OnsisBatchError):
    """The inputs cannot produce a submission; carries every finding collected."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        first = errors[0] if errors else "-"
        super().__init__(f"{len(errors)} input error(s); first: {first}", findings)


class OutputInUse(InputError):
    """Another run holds the output folder (RUN002); nothing was written."""
