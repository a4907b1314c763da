"""The one place where library outcomes become messages and exit codes.

Every command is a `Command`: a `UsageError` from the library is shown as click shows a
usage error, any other `OnsisBatchError` prints its findings (or message) on stderr and
exits with its code. Whatever else escapes is turned into exit code 3 by `cli.main`, and
Ctrl-C into 130. Every command also takes `-q/--quiet`; `say` is how commands print text
that `--quiet` silences, and `emit_json` prints the JSON envelope every command shares.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator, Mapping, MutableMapping
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


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its "module:attribute" only when
    first looked up (D1000).

    Click's group reads its commands through this mapping (`get_command`, `list_commands`,
    the suggestions of an unknown name), so running one command imports that command's
    module alone, while the names are known without importing anything. `--help` and
    shell completion of a command name look every command up, and so import them all.
    """

    def __init__(self, where: Mapping[str, str]) -> None:
        self._where: dict[str, str | None] = dict(where)  # None: added as a command
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = str(self._where[name]).partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != name:
                raise TypeError(f"{self._where[name]} is not the command {name!r}")
            self._loaded[name] = command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._where[name] = None
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._where[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where


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
