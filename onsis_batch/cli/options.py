"""The command-line options several commands share, each declared once.

Only click is imported here: the data libraries load when a command runs, not for `--help`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

PERIODS = click.Choice(["oct", "mar", "jun"])
LANGUAGES = click.Choice(["en", "fr"])
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def options(*declared: Decorator) -> Decorator:
    """Several click options as one decorator, shown in the order given."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(declared):  # decorators apply bottom-up
            command = option(command)
        return command

    return decorate


def _timestamp(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """`--timestamp` as a datetime; a bad value is a usage error."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not like 2025-10-31T09:30:00") from None


def checked_school_year(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    """`--year` in its canonical form (2025-2026); a bad value is a usage error."""
    from onsis_batch.period.periods import parse_school_year

    if value is None:
        return None
    try:
        return parse_school_year(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


def data_options(required: bool) -> Decorator:
    """`--data` (a folder or a database URI, kept as text) and `--table-map`."""
    return options(
        click.option(
            "--data",
            "data_dir",
            required=required,
            help="School data: a folder of CSV/Parquet tables, or a database "
            "(postgresql://..., 'host=... dbname=...', sqlite:///file.db, duckdb:///file.duckdb, "
            "*.sqlite, *.duckdb).",
        ),
        click.option(
            "--table-map",
            type=EXISTING_FILE,
            help="YAML file naming the SQL table or view of some contract tables (databases).",
        ),
    )


pae_options = options(
    click.option(
        "--pae",
        "pae_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Folder of Pending Area Extract CSV files.",
    ),
    click.option(
        "--no-pae",
        is_flag=True,
        help="First submission: OnSIS holds nothing yet, every record is an ADD.",
    ),
)


def period_options(required: bool) -> Decorator:
    """`--period` (required unless the --config file sets it, checked when the command
    runs) and `--year`."""
    return options(
        click.option(
            "--period",
            "kind",
            type=PERIODS,
            help="Submission period: oct, mar or jun (required unless --config sets run: period).",
        ),
        click.option(
            "--year",
            "school_year",
            callback=checked_school_year,
            required=required,
            help="School year, e.g. 2025-2026.",
        ),
    )


# What every command that builds a plan is told about the submission.
submission_options = options(
    click.option("--private", is_flag=True, help="Private-school submission."),
    click.option(
        "--submission-type",
        type=click.Choice(["public", "private"]),
        help="Public or private school submission (private is the same as --private).",
    ),
    click.option(
        "--co-teacher-role",
        "co_teacher_roles",
        multiple=True,
        help="Co-teacher role whose teachers get class assignments (repeatable).",
    ),
    click.option(
        "--core-flag",
        is_flag=True,
        help="Private schools: report CORE_FLAG in educator assignments.",
    ),
)

config_option = click.option(
    "--config",
    "config_file",
    type=EXISTING_FILE,
    help="Board configuration YAML (docs/config.example.yaml); command-line options win.",
)

allow_unknown_columns_option = click.option(
    "--allow-unknown-columns",
    is_flag=True,
    help="A column named like a contract column (a likely typo, SRC021) is a warning, not an "
    "error (also run: allow_unknown_columns in --config).",
)

overrides_option = click.option(
    "--overrides",
    "overrides_file",
    type=EXISTING_FILE,
    help="YAML file of registrar overrides (set elements or force an ACTION).",
)

sample_option = click.option(
    "--sample",
    is_flag=True,
    help="Use the bundled sample school (fills --data, --pae, --bsid, --year; --period is still "
    "required, and a --year other than the sample's is refused).",
)

timestamp_option = click.option(
    "--timestamp",
    callback=_timestamp,
    help="Pin the run's date and time (ISO): the header DATE/TIME and the day overrides "
    "expire against, for identical reruns.",
)


def out_option(required: bool = False, text: str = "Folder for the batch files.") -> Decorator:
    """`--out`: the output folder (`out` unless required)."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        required=required,
        default=None if required else Path("out"),
        show_default=not required,
        help=text,
    )


def json_option(what: str) -> Decorator:
    """`--json`: print `what` as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help=f"Print {what} as JSON.")


lang_option = click.option(
    "--lang",
    type=LANGUAGES,
    default="en",
    show_default=True,
    help="Language of the text, its findings and any HTML page.",
)


def show_pii_option(what: str) -> Decorator:
    """`--show-pii`: show what is masked by default (`what`)."""
    return click.option("--show-pii", is_flag=True, help=f"Show {what}.")


def examples(*lines: str) -> str:
    """The `Examples:` that end a command's help, each line shown as written."""
    shown = "\n".join(f"  {line}" for line in lines)
    return f"Examples:\n\n\b\n{shown}"


class _ClearOption(click.Option):
    """An option whose help ends with what each CLEAR_* flag purges, read from the envelope
    spec only when the help is shown (a run loads nothing for it)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from onsis_batch.period.clear_flags import PREFIX, clear_flags

        base = self.help
        purges = "; ".join(
            f"{e.name.removeprefix(PREFIX)} ({e.default}): {e.description}" for e in clear_flags()
        )
        self.help = f"{base} FLAG (its rule-book value) and what Y purges: {purges}."
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = base


def _flag_names(
    _ctx: click.Context, param: click.Parameter, given: tuple[str, ...]
) -> tuple[str, ...]:
    """The CLEAR_* flags named (repeatable, or comma-separated), in full; a name that is
    no flag is a usage error."""
    from onsis_batch.period.clear_flags import flag_name, short_names

    names = []
    for text in (part for value in given for part in value.split(",") if part.strip()):
        name = flag_name(text)
        if name is None:
            known = ", ".join(short_names())
            raise click.BadParameter(f"{text!r} is not a CLEAR_* flag; the flags are {known}")
        names.append(name)
    return tuple(names)


# The CLEAR_* flags of the SCHOOL element (generate and board; D762).
clear_options = options(
    click.option(
        "--reupload",
        is_flag=True,
        help="Re-upload of a corrected file during the period: every CLEAR_* flag N, so "
        "OnSIS purges nothing it holds before loading the file.",
    ),
    click.option(
        "--clear",
        "clear",
        cls=_ClearOption,
        multiple=True,
        metavar="FLAG",
        callback=_flag_names,
        help="Set this CLEAR_* flag to Y (repeatable; CLASS or CLEAR_CLASS): OnSIS purges "
        "that area of the school's pending area before loading the file.",
    ),
    click.option(
        "--no-clear",
        "no_clear",
        multiple=True,
        metavar="FLAG",
        callback=_flag_names,
        help="Set this CLEAR_* flag to N (repeatable): OnSIS keeps what it holds there.",
    ),
)
