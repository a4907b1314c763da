"""Command line: parse options, call the library, map outcomes to exit codes. No logic.

Exit codes (`onsis_batch.errors`): 0 clean, 1 errors in findings, 2 input or usage errors
or an output folder in use, 3 internal error, 130 interrupted (Ctrl-C). The commands live
in one module per group, each imported only when one of its commands runs (D1000);
`cli.command` is where library errors become messages and exit codes. `onsis-batch` and
`python -m onsis_batch` both run `main`.
"""

from __future__ import annotations

import sys

import click

from onsis_batch import __version__
from onsis_batch.cli.command import Commands, LazyCommands, debug_option
from onsis_batch.cli.options import examples
from onsis_batch.errors import (
    DEBUG_VARIABLE,
    EXIT_CLEAN,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    debugging,
)

EPILOG = (
    examples(
        "onsis-batch generate --sample --period oct --out out",
        "onsis-batch generate --help",
        "python -m onsis_batch validate out/ONSIS_OCTSEC1_20251031_998467.xml",
    )
    + "\n\nShell completion (bash, zsh, fish): see the README, e.g. for bash\n\n\b\n"
    + '  eval "$(_ONSIS_BATCH_COMPLETE=bash_source onsis-batch)"'
)


# Each command's module, imported only when the command runs (or --help lists them all):
# `generate` does without the imports of the other commands (D1000).
COMMANDS = {
    "generate": "onsis_batch.cli.generate:generate",
    "explain": "onsis_batch.cli.generate:explain",
    "validate": "onsis_batch.cli.files:validate",
    "segments": "onsis_batch.cli.reference:segments",
    "contract": "onsis_batch.cli.reference:contract",
    "codes": "onsis_batch.cli.reference:codes",
    "reasons": "onsis_batch.cli.reference:reasons",
    "synth": "onsis_batch.cli.reference:synth",
    "docs": "onsis_batch.cli.reference:docs",
    "board": "onsis_batch.cli.board:board",
    "purge": "onsis_batch.cli.board:purge",
    "diff": "onsis_batch.cli.files:diff",
    "results": "onsis_batch.cli.files:results",
    "verify": "onsis_batch.cli.files:verify",
    "pae-from-xml": "onsis_batch.cli.pae_tools:pae_from_xml",
    "lists": "onsis_batch.cli.lists:lists",
    "preview": "onsis_batch.cli.lists:preview",
}


@click.group(
    cls=Commands,
    commands=LazyCommands(COMMANDS),
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EPILOG,
)
@click.version_option(__version__, prog_name="onsis-batch")
def cli() -> None:
    """Build and check OnSIS secondary-school batch submissions.

    Every command takes --help (with examples) and -q/--quiet; those that report take
    --json. Exit codes: 0 clean, 1 errors in the findings, 2 unusable input or options,
    3 internal error, 130 interrupted.
    """


cli.params.append(debug_option())  # `onsis-batch --debug COMMAND` as well as `COMMAND --debug`


def main() -> None:
    """Entry point: run the CLI, turning unexpected exceptions into exit code 3 and Ctrl-C
    into 130 (the run has released its lock and left no partial file by then)."""
    try:
        code = cli.main(prog_name="onsis-batch", standalone_mode=False)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        click.echo(word(_asked_language(), "interrupted"), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as problem:
        lang = _asked_language()
        if debugging():
            import traceback  # only for the rare internal error

            click.echo(traceback.format_exc().rstrip(), err=True)
            how = ""
        else:
            how = " " + word(lang, "internal_error_how", variable=DEBUG_VARIABLE)
        said = word(lang, "internal_error")
        click.echo(f"{said} {type(problem).__name__}: {problem}{how}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_CLEAN)


def word(lang: str, key: str, **values: str) -> str:
    """A label of report/labels.yaml, loaded only when `main` has a line to print (the
    labels module brings Babel, which a normal run's start-up does without)."""
    from onsis_batch.report.i18n import word as label

    return label(lang, key, **values)


def _asked_language(argv: list[str] | None = None) -> str:
    """The `--lang` of the command line, for the lines `main` prints after the command
    has gone (an internal error, an interruption); English when none was given."""
    args = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return "fr" if args[i + 1] == "fr" else "en"
        if arg.startswith("--lang="):
            return "fr" if arg == "--lang=fr" else "en"
    return "en"
