"""Command line: parse options, call the library, map outcomes to exit codes. No logic.

Exit codes: 0 clean, 1 errors in findings, 2 input or usage errors, 3 internal error.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from onsis_batch import __version__

EXIT_INTERNAL = 3  # kept here so `--help` does not load the data libraries

PERIODS = click.Choice(["oct", "mar", "jun"])


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _timestamp(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not like 2025-10-31T09:30:00") from None


def _school_year(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from onsis_batch.period import parse_school_year

    if value is None:
        return None
    try:
        return parse_school_year(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


class _Stages:
    """One status line on an interactive terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, stage: str) -> None:
        if self.enabled:
            click.echo(f"\r\033[K{stage}…", nl=False, err=True)

    def done(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", nl=False, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onsis-batch")
def cli() -> None:
    """Build and check OnSIS secondary-school batch submissions."""


@cli.command()
@click.option(
    "--data",
    "data_dir",
    help="School data: a folder of CSV/Parquet tables, or a database "
    "(postgresql://..., sqlite:///file.db, duckdb:///file.duckdb, *.sqlite, *.duckdb).",
)
@click.option(
    "--table-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file naming the SQL table or view of some contract tables (databases only).",
)
@click.option(
    "--pae",
    "pae_dir",
    type=click.Path(path_type=Path),
    help="Folder of Pending Area Extract CSV files.",
)
@click.option(
    "--no-pae",
    is_flag=True,
    help="First submission: OnSIS holds nothing yet, every record is an ADD.",
)
@click.option("--bsid", help="Ministry school number (BSID) to report.")
@click.option("--period", "kind", type=PERIODS, help="Submission period: oct, mar or jun.")
@click.option("--year", "school_year", callback=_school_year, help="School year, e.g. 2025-2026.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for the batch file.",
)
@click.option("--private", is_flag=True, help="Private-school submission.")
@click.option(
    "--timestamp",
    callback=_timestamp,
    help="Pin the header DATE/TIME (ISO), for byte-identical reruns.",
)
@click.option(
    "--encoding",
    type=click.Choice(["iso-8859-1", "utf-8"]),
    default="iso-8859-1",
    show_default=True,
)
@click.option(
    "--sample",
    is_flag=True,
    help="Use the bundled sample school (fills --data, --pae, --bsid, --year).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def generate(
    data_dir: str | Path | None,
    table_map: Path | None,
    pae_dir: Path | None,
    no_pae: bool,
    bsid: str | None,
    kind: str | None,
    school_year: str | None,
    out_dir: Path,
    private: bool,
    timestamp: datetime | None,
    encoding: str,
    sample: bool,
    as_json: bool,
) -> None:
    """Generate the batch file of one BSID for one submission period."""
    from onsis_batch.pipeline import generate as run
    from onsis_batch.report.summary import summary_dict, summary_text
    from onsis_batch.sample import sample_run

    kind = kind or "oct"
    if sample:
        data_dir, pae_dir, bsid, school_year = sample_run(kind)
    missing = [
        name
        for name, value in (("--data", data_dir), ("--bsid", bsid), ("--year", school_year))
        if value is None
    ]
    if pae_dir is None and not no_pae:
        missing.append("--pae (or --no-pae)")
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or use --sample)")
    assert data_dir is not None and bsid is not None and school_year is not None
    data = _data_source(data_dir, table_map)
    stages = _Stages(sys.stderr.isatty() and not as_json)
    result = run(
        data,
        None if no_pae else pae_dir,
        out_dir,
        bsid=bsid,
        kind=kind,
        school_year=school_year,
        private=private,
        created=timestamp,
        encoding=encoding,
        on_stage=stages,
    )
    stages.done()
    if as_json:
        _emit_json(summary_dict(result))
    else:
        click.echo(summary_text(result))
    sys.exit(result.exit_code)


def _data_source(data: str | Path, table_map: Path | None) -> Any:
    """The `--data` source with its `--table-map`; a usage error when they do not fit."""
    from onsis_batch.sources.origin import data_source, read_table_map

    try:
        return data_source(data, read_table_map(table_map) if table_map else None)
    except ValueError as problem:
        raise click.UsageError(str(problem)) from None


@cli.command()
@click.argument("xml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def validate(xml_file: Path, as_json: bool) -> None:
    """Check a batch file against the schema."""
    from onsis_batch.findings import has_errors
    from onsis_batch.validate import validate_file

    findings = validate_file(xml_file)
    if as_json:
        _emit_json(
            {
                "file": str(xml_file),
                "valid": not has_errors(findings),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        for problem in findings:
            click.echo(str(problem))
        click.echo(f"{xml_file}: {'invalid' if has_errors(findings) else 'valid'}")
    sys.exit(1 if has_errors(findings) else 0)


@cli.command()
@click.argument("segment", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def segments(segment: str | None, as_json: bool) -> None:
    """List the segments this version generates, or the elements of one segment."""
    from onsis_batch.docs import segment_listing

    data, text = segment_listing(segment)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def contract(as_json: bool) -> None:
    """Describe every input table and column the tool reads."""
    from onsis_batch.docs import contract_listing

    data, text = contract_listing()
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def codes(as_json: bool) -> None:
    """List every finding code with its severity and meaning."""
    from onsis_batch.docs import findings_listing

    data, text = findings_listing()
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option("--students", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--schools", type=click.IntRange(1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--year", "school_year", callback=_school_year, default="2025-2026", show_default=True
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
def synth(students: int, schools: int, seed: int, school_year: str, out_dir: Path) -> None:
    """Write synthetic school data and matching PAE extracts (fake OENs)."""
    from onsis_batch.synth import synthesize

    summary = synthesize(
        out_dir, students=students, schools=schools, seed=seed, school_year=school_year
    )
    click.echo(f"school data: {summary.data_dir}")
    for code, folder in summary.pae_dirs.items():
        click.echo(f"PAE {code}: {folder}")
    click.echo(f"BSIDs: {', '.join(summary.bsids)}; students: {summary.students}")


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
def docs(check: bool) -> None:
    """Regenerate the reference docs and the XSD from the specs (or check them)."""
    from onsis_batch.docs import write_generated

    try:
        stale = write_generated(check=check)
    except FileNotFoundError as problem:
        raise click.UsageError(str(problem)) from None
    for path in stale:
        click.echo(f"{'stale' if check else 'written'}: {path}")
    sys.exit(1 if check and stale else 0)


def main() -> None:
    """Entry point: run the CLI, turning unexpected exceptions into exit code 3."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERNAL)
    except SystemExit:
        raise
    except Exception as problem:
        click.echo(f"internal error: {type(problem).__name__}: {problem}", err=True)
        sys.exit(EXIT_INTERNAL)
