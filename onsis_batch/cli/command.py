"""The one place where library outcomes become messages and exit codes.

Every command is a `Command`: a `UsageError` from the library is shown as click shows a
usage error, any other `OnsisBatchError` prints its findings (or message) on stderr and
exits with its code. Whatever else escapes is turned into exit code 3 by `cli.main`.
"""

from __future__ import annotations

import json
from typing import Any

import click

from onsis_batch.errors import OnsisBatchError, UsageError


class Command(click.Command):
    """A click command whose library errors end it with their message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning the library's errors into output and an exit code."""
        try:
            return super().invoke(ctx)
        except UsageError as problem:
            raise click.UsageError(str(problem), ctx) from None
        except OnsisBatchError as problem:
            for line in problem.lines():
                click.echo(line, err=True)
            ctx.exit(problem.exit_code)


class Commands(click.Group):
    """The command group; commands declared on it are `Command`s too."""

    command_class = Command


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON (dates and paths as text)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
