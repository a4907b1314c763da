"""Reference and helper commands: `segments`, `contract`, `codes`, `reasons`, `docs`, `synth`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json
from onsis_batch.cli.options import LANGUAGES, checked_school_year, json_option, out_option
from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS


@click.command(cls=Command)
@click.argument("segment", required=False)
@json_option("the listing")
def segments(segment: str | None, as_json: bool) -> None:
    """List the segments this version generates, or the elements of one segment."""
    from onsis_batch.tools.reference_docs import segment_listing

    data, text = segment_listing(segment)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    emit_json(data) if as_json else click.echo(text)


@click.command(cls=Command)
@json_option("the contract")
def contract(as_json: bool) -> None:
    """Describe every input table and column the tool reads."""
    from onsis_batch.tools.reference_docs import contract_listing

    data, text = contract_listing()
    emit_json(data) if as_json else click.echo(text)


@click.command(cls=Command)
@json_option("the catalog (every field, both languages)")
@click.option("--lang", type=LANGUAGES, default="en", show_default=True)
def codes(as_json: bool, lang: str) -> None:
    """List every finding code: severity, segment, Ministry code and title."""
    from onsis_batch.tools.reference_docs import findings_listing

    data, text = findings_listing(lang)
    emit_json(data) if as_json else click.echo(text)


@click.command(cls=Command)
@click.argument("segment", required=False)
@json_option("the listing (every field, both languages)")
@click.option("--lang", type=LANGUAGES, default="en", show_default=True)
def reasons(segment: str | None, as_json: bool, lang: str) -> None:
    """List the rule ids of plan rows: segment, action, title, decisions, rule book."""
    from onsis_batch.tools.reason_reference import reason_listing

    data, text = reason_listing(segment, lang)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    emit_json(data) if as_json else click.echo(text)


@click.command(cls=Command)
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
def docs(check: bool) -> None:
    """Regenerate the reference docs and the XSD from the specs (or check them)."""
    from onsis_batch.tools.reference_docs import write_generated

    try:
        stale = write_generated(check=check)
    except FileNotFoundError as problem:
        raise click.UsageError(str(problem)) from None
    for path in stale:
        click.echo(f"{'stale' if check else 'written'}: {path}")
    sys.exit(EXIT_ERRORS if check and stale else EXIT_CLEAN)


@click.command(cls=Command)
@click.option("--students", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--schools", type=click.IntRange(1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--year", "school_year", callback=checked_school_year, default="2025-2026", show_default=True
)
@out_option(required=True, text="Folder for the school data and the PAE extracts.")
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
