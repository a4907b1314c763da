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
    help="Pin the header DATE/TIME (ISO), for byte-identical reruns.",
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
