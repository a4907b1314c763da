"""The one place where library outcomes become messages and exit codes.

Every command is a `Command`: a `UsageError` from the library is shown as click shows a
usage error, any other `OnsisBatchError` prints its findings (or message) on stderr and
exits with its code. Whatever else escapes is turned into exit code 3 by `cli.main`, and
Ctrl-C into 130. Every command also takes `-q/--quiet`; `say` is how commands print text
that `--quiet` silences, and `emit_json` prints the JSON envelope every command shares.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

import click

from onsis_batch.errors import DEBUG_VARIABLE, OnsisBatchError, UsageError

QUIET = "quiet"  # the key of `--quiet` in the click context's meta
OWNER_ONLY_UMASK = 0o077  # no permission bit for the group or others


def _remember_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[QUIET] = value
    return value


def quiet_option() -> click.Option:
    """`-q/--quiet`: no text on stdout; errors still go to stderr, --json still prints."""
    return click.Option(
        ["-q", "--quiet"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_remember_quiet,
        help="Print nothing on stdout but JSON asked for; errors still go to stderr.",
    )


@contextmanager
def owner_only_files() -> Iterator[None]:
    """The block with the umask narrowed to 077: every file and folder made meanwhile (by
    the tool, polars or a worker process it starts) is its owner's only, whatever the umask
    of the shell or cron job that started it (D582)."""
    before = os.umask(OWNER_ONLY_UMASK)
    os.umask(before | OWNER_ONLY_UMASK)
    try:
        yield
    finally:
        os.umask(before)


def _remember_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    # Kept in the environment so that board workers (spawned processes) see it too.
    if value:
        os.environ[DEBUG_VARIABLE] = "1"
    return value


def debug_option() -> click.Option:
    """`--debug`: an internal error (exit 3) prints its full traceback on stderr."""
    return click.Option(
        ["--debug"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_remember_debug,
        help=f"On an internal error, print the full traceback (also {DEBUG_VARIABLE}=1).",
    )


class Command(click.Command):
    """A click command whose library errors end it with their message and exit code.

    `owner_only=False` for a command that writes no personal data (`docs` writes the
    repository's reference files), which then keeps the caller's umask.
    """

    def __init__(self, *args: Any, owner_only: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_only = owner_only
        self.params += [quiet_option(), debug_option()]

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning the library's errors into output and an exit code."""
        try:
            with owner_only_files() if self.owner_only else nullcontext():
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


def quiet() -> bool:
    """Whether the running command was given `--quiet`."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(QUIET))


def say(text: str) -> None:
    """Print `text` on stdout unless the command was given `--quiet`."""
    if not quiet():
        click.echo(text)


def emit_json(
    command: str,
    body: Mapping[str, Any],
    *,
    verdict: str | None,
    exit_code: int,
    lang: str = "en",
) -> None:
    """Print a command's JSON: the shared envelope (`cli/output.schema.json`, the verdict's
    words in `lang`), then `body`."""
    from onsis_batch.report.summary import envelope

    data = envelope(command, body, verdict=verdict, exit_code=exit_code, lang=lang)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
