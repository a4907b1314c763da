"""Reference and helper commands: `segments`, `contract`, `codes`, `reasons`, `docs`, `synth`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json, say
from onsis_batch.cli.options import (
    LANGUAGES,
    checked_school_year,
    examples,
    json_option,
    lang_option,
    out_option,
)
from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS


def _listing(command: str, key: str, data: object, text: str, as_json: bool) -> None:
    """Print a reference listing: its text, or its data in the JSON envelope (a list of
    entries under `key`, a mapping's own keys as they are)."""
    if not as_json:
        say(text)
        return
    body = data if isinstance(data, dict) and command != "contract" else {key: data}
    emit_json(command, body, verdict=None, exit_code=EXIT_CLEAN)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch segments",
        "onsis-batch segments STUDENT_SCHOOL_ENROLMENT",
        "onsis-batch segments --json",
    ),
)
@click.argument("segment", required=False)
@json_option("the listing")
@lang_option
def segments(segment: str | None, as_json: bool, lang: str) -> None:
    """List the segments this version generates, or the elements of one segment."""
    from onsis_batch.report.listings import segment_text, segments_text
    from onsis_batch.tools.reference_docs import segment_listing

    data, text = segment_listing(segment)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    if lang != "en":
        text = segments_text(lang) if segment is None else segment_text(segment, lang) or ""
    _listing("segments", "segments", data, text, as_json)


@click.command(
    cls=Command,
    epilog=examples("onsis-batch contract", "onsis-batch contract --json"),
)
@json_option("the contract")
@lang_option
def contract(as_json: bool, lang: str) -> None:
    """Describe every input table and column the tool reads."""
    from onsis_batch.report.listings import contract_text
    from onsis_batch.tools.reference_docs import contract_listing

    data, text = contract_listing()
    _listing("contract", "tables", data, text if lang == "en" else contract_text(lang), as_json)


@click.command(
    cls=Command,
    epilog=examples("onsis-batch codes", "onsis-batch codes --lang fr", "onsis-batch codes --json"),
)
@json_option("the catalog (every field, both languages)")
@click.option(
    "--lang", type=LANGUAGES, default="en", show_default=True, help="Language of the titles."
)
def codes(as_json: bool, lang: str) -> None:
    """List every finding code: severity, segment, Ministry code and title."""
    from onsis_batch.tools.reference_docs import findings_listing

    data, text = findings_listing(lang)
    _listing("codes", "codes", data, text, as_json)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch reasons",
        "onsis-batch reasons STUDENT_SCHOOL_ENROLMENT --lang fr",
        "onsis-batch reasons SALEP --json",
    ),
)
@click.argument("segment", required=False)
@json_option("the listing (every field, both languages)")
@click.option(
    "--lang", type=LANGUAGES, default="en", show_default=True, help="Language of the text."
)
def reasons(segment: str | None, as_json: bool, lang: str) -> None:
    """List the rule ids of plan rows: segment, action, title, decisions, rule book."""
    from onsis_batch.tools.reason_reference import reason_listing

    data, text = reason_listing(segment, lang)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    _listing("reasons", "reasons", data, text, as_json)


@click.command(
    cls=Command,
    owner_only=False,  # it writes the repository's reference files, no personal data
    epilog=examples("onsis-batch docs", "onsis-batch docs --check   # in CI: fail when stale"),
)
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
@lang_option
def docs(check: bool, lang: str) -> None:
    """Regenerate the reference docs and the XSD from the specs (or check them)."""
    from onsis_batch.report.i18n import labels
    from onsis_batch.tools.reference_docs import write_generated

    try:
        stale = write_generated(check=check)
    except FileNotFoundError as problem:
        raise click.UsageError(str(problem)) from None
    for path in stale:
        say(f"{labels(lang)['stale' if check else 'summary_written']}: {path}")
    sys.exit(EXIT_ERRORS if check and stale else EXIT_CLEAN)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch synth --out demo",
        "onsis-batch synth --students 20000 --schools 12 --seed 7 --out board-demo --json",
    ),
)
@click.option(
    "--students",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Students in all, shared among the schools.",
)
@click.option(
    "--schools", type=click.IntRange(1), default=1, show_default=True, help="Schools (BSIDs)."
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed gives the same data."
)
@click.option(
    "--year",
    "school_year",
    callback=checked_school_year,
    default="2025-2026",
    show_default=True,
    help="School year of the data and extracts.",
)
@out_option(required=True, text="Folder for the school data and the PAE extracts.")
@json_option("what was written")
@lang_option
def synth(
    students: int,
    schools: int,
    seed: int,
    school_year: str,
    out_dir: Path,
    as_json: bool,
    lang: str,
) -> None:
    """Write synthetic school data and matching PAE extracts (fake OENs)."""
    from onsis_batch.render.publish import private_folder
    from onsis_batch.report.i18n import counted, labels
    from onsis_batch.synth import synthesize

    private_folder(out_dir)  # RUN003 when a file is in the way
    summary = synthesize(
        out_dir, students=students, schools=schools, seed=seed, school_year=school_year
    )
    if as_json:
        body = {
            "data": str(summary.data_dir),
            "pae": {code: str(folder) for code, folder in summary.pae_dirs.items()},
            "bsids": list(summary.bsids),
            "students": summary.students,
        }
        emit_json("synth", body, verdict=None, exit_code=EXIT_CLEAN)
        return
    words = labels(lang)
    say(f"{words['synth_data']}: {summary.data_dir}")
    for code, folder in summary.pae_dirs.items():
        say(f"{words['synth_pae'].format(code=code)}: {folder}")
    students_made = counted(lang, "n_students", summary.students)
    say(f"{words['synth_bsids']}: {', '.join(summary.bsids)}; {students_made}")
