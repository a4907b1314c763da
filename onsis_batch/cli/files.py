"""Commands that read files already written: `validate`, `verify`, `diff` and `results`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json, say
from onsis_batch.cli.options import (
    EXISTING_FILE,
    examples,
    json_option,
    lang_option,
    show_pii_option,
)
from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_INPUT, InputError


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch validate out/ONSIS_OCTSEC1_20251031_999001.xml",
        "onsis-batch validate edited.xml --explain        # each error: line, path, expected",
        "onsis-batch validate edited.xml --explain --json",
        "onsis-batch validate vendor.xml --ministry       # a file another program wrote",
        "onsis-batch validate vendor.xml --ministry --lang fr --json",
    ),
)
@click.argument("xml_file", type=EXISTING_FILE)
@click.option(
    "--explain",
    is_flag=True,
    help="When the file does not match the schema, also show each error with its line, "
    "element path and the elements the schema expected there.",
)
@click.option(
    "--ministry",
    is_flag=True,
    help="Check a file another program wrote (PowerSchool, Aspen, Edsembli, ...) against "
    "what the Ministry's format allows, and the business rules the file alone can show.",
)
@click.option(
    "--private",
    is_flag=True,
    help="With --ministry: the school is private (elements of public schools only, such "
    "as FTE, are not expected).",
)
@lang_option
@show_pii_option("personal values and whole OENs in the findings (with --ministry)")
@json_option("the findings")
def validate(
    xml_file: Path,
    explain: bool,
    ministry: bool,
    private: bool,
    lang: str,
    show_pii: bool,
    as_json: bool,
) -> None:
    """Check a batch file against the schema (or, with --ministry, as OnSIS would take it)."""
    if ministry:
        if explain:
            raise click.UsageError(
                "--explain explains our own schema; --ministry findings "
                "already give each problem's line and element path"
            )
        _validate_ministry(xml_file, private=private, lang=lang, show_pii=show_pii, as_json=as_json)
    if private:
        raise click.UsageError("--private goes with --ministry")
    from onsis_batch.findings import has_errors
    from onsis_batch.report.i18n import word
    from onsis_batch.report.summary import finding_line, verdict
    from onsis_batch.tools.schema_errors import explain_schema_errors
    from onsis_batch.validate.batch_file import validate_file

    findings = validate_file(xml_file)
    rejected = any(f.code == "XSD001" for f in findings)
    explained = explain_schema_errors(xml_file) if explain and rejected else []
    code = EXIT_ERRORS if has_errors(findings) else EXIT_CLEAN
    if as_json:
        body = {
            "file": str(xml_file),
            "mode": "ours",
            "valid": not has_errors(findings),
            "findings": [f.to_dict() for f in findings],
        }
        body |= {"explained": [e.to_dict() for e in explained]} if explain else {}
        judged = verdict(findings, written=True)
        emit_json("validate", body, verdict=judged, exit_code=code, lang=lang)
    else:
        for problem in findings:
            say(finding_line(problem, lang))
        if explained:
            say(f"{word(lang, 'explained')}:")
        for error in explained:
            say(f"  {error}")
        say(f"{xml_file}: {word(lang, 'invalid' if has_errors(findings) else 'valid')}")
    sys.exit(code)


def _validate_ministry(
    xml_file: Path, *, private: bool, lang: str, show_pii: bool, as_json: bool
) -> None:
    """`validate --ministry`: the check mode, its findings and exit code."""
    from onsis_batch.report.i18n import counted, word
    from onsis_batch.report.summary import finding_line, verdict
    from onsis_batch.validate.ministry import check_ministry_file

    checked = check_ministry_file(xml_file, private=private, show_pii=show_pii)
    unreadable = any(f.code == "XSD002" for f in checked.findings)
    code = EXIT_INPUT if unreadable else EXIT_CLEAN if checked.valid else EXIT_ERRORS
    if as_json:
        body = {
            "file": checked.file,
            "mode": "ministry",
            "submission": checked.period,
            "segments_read": checked.rows,
            "valid": checked.valid,
            "findings": [f.to_dict() for f in checked.findings],
        }
        judged = verdict(checked.findings, not unreadable)
        emit_json("validate", body, verdict=judged, exit_code=code, lang=lang)
    else:
        for problem in checked.findings:
            say(finding_line(problem, lang))
        state = word(lang, "valid" if checked.valid else "invalid")
        rows = counted(lang, "n_segments", checked.rows)
        say(f"{checked.file}: {state} (--ministry, {rows})")
    sys.exit(code)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch verify out/ONSIS_OCTSEC1_20251031_999001.xml.manifest.json",
        "onsis-batch verify out/ONSIS_OCTSEC1_20251031_999001.xml.manifest.json --json",
    ),
)
@click.argument("manifest", type=EXISTING_FILE)
@json_option("the findings")
@lang_option
def verify(manifest: Path, as_json: bool, lang: str) -> None:
    """Re-check the SHA-256 of every file a run manifest lists (inputs and output)."""
    from onsis_batch.report.i18n import counted, word
    from onsis_batch.report.summary import finding_line, verdict
    from onsis_batch.run.manifest import verify_manifest

    findings, checked = verify_manifest(manifest)
    unreadable = any(f.code == "MAN003" for f in findings)
    code = EXIT_INPUT if unreadable else EXIT_ERRORS if findings else EXIT_CLEAN
    if as_json:
        body = {
            "manifest": str(manifest),
            "checked": checked,
            "valid": not findings,
            "findings": [f.to_dict() for f in findings],
        }
        judged = verdict(findings, not unreadable)
        emit_json("verify", body, verdict=judged, exit_code=code, lang=lang)
    else:
        for problem in findings:
            say(finding_line(problem, lang))
        state = (
            "verify_unreadable" if unreadable else "verify_changed" if findings else "verify_match"
        )
        say(f"{manifest}: {counted(lang, 'n_files_checked', checked)}, {word(lang, state)}")
    sys.exit(code)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch diff last-upload.xml out/ONSIS_OCTSEC1_20251031_999001.xml",
        "onsis-batch diff last-upload.xml new.xml --html diff.html --exit-code",
        "onsis-batch diff out/ONSIS_OCTSEC1_20251031_999001.xml --pae pae/ --json",
    ),
)
@click.argument("old", type=EXISTING_FILE)
@click.argument("new", required=False, type=EXISTING_FILE)
@click.option(
    "--pae",
    "pae_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Compare one batch file with these PAE extracts: what it will change in OnSIS.",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an HTML page.",
)
@show_pii_option("names, birth dates, postal codes and whole OENs (the HTML page)")
@click.option("--exit-code", is_flag=True, help="Exit with 1 when there are differences.")
@lang_option
@json_option("the diff")
def diff(
    old: Path,
    new: Path | None,
    pae_dir: Path | None,
    html_out: Path | None,
    show_pii: bool,
    exit_code: bool,
    lang: str,
    as_json: bool,
) -> None:
    """Compare two batch files by natural key, or one batch file with the PAE (--pae)."""
    from onsis_batch.render.publish import write_private
    from onsis_batch.report.masking import mask_data, oen_hider
    from onsis_batch.tools.diff import diff_files
    from onsis_batch.tools.diff_pae import diff_pae
    from onsis_batch.tools.diff_report import diff_dict, diff_html, diff_text
    from onsis_batch.tools.memory import memory_findings
    from onsis_batch.tools.records import NotABatchFile, batch_findings

    if (new is None) == (pae_dir is None):
        raise click.UsageError("give two batch files, or one batch file and --pae FOLDER")
    too_large = memory_findings("DIF002", [p for p in (old, new, pae_dir) if p is not None])
    if too_large:
        raise InputError(too_large)
    try:
        if pae_dir is not None:
            result = diff_pae(old, pae_dir, show_pii=show_pii)
        else:
            assert new is not None  # one of the two, checked above
            result = diff_files(old, new, show_pii=show_pii)
    except NotABatchFile as problem:  # the tools' own exception, in the family's terms
        raise InputError(batch_findings(problem)) from None
    if html_out is not None:
        write_private(html_out, diff_html(result, lang, show_pii=show_pii))
    code = EXIT_ERRORS if exit_code and result.differs else EXIT_CLEAN
    hide = oen_hider(show_pii)  # the keys name students by OEN
    if as_json:
        emit_json("diff", mask_data(diff_dict(result), hide), verdict=None, exit_code=code)
    else:
        say(hide(diff_text(result, lang)))
    sys.exit(code)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch results ONSIS_OCTSEC1_999001.OUT",
        "onsis-batch results NEW.OUT --previous LAST.OUT --data sis/ --out lists/ --lang fr",
        "onsis-batch results NEW.OUT --json",
    ),
)
@click.argument("results_file", type=EXISTING_FILE)
@click.option(
    "--previous",
    type=EXISTING_FILE,
    help="Results file of the previous upload: mark errors new, recurring or resolved.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="School data folder: name the source rows of each error.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write worklist-<BSID>.csv/.json/.html here.",
)
@show_pii_option(
    "the names, birth dates and postal codes OnSIS echoes, and whole OENs in the HTML page"
)
@lang_option
@json_option("the errors")
def results(
    results_file: Path,
    previous: Path | None,
    data_dir: Path | None,
    out_dir: Path | None,
    show_pii: bool,
    lang: str,
    as_json: bool,
) -> None:
    """Import a results file (.OUT) from OnSIS into a work list per school."""
    from onsis_batch.report.i18n import word
    from onsis_batch.report.masking import mask_data, oen_hider
    from onsis_batch.tools.memory import memory_findings
    from onsis_batch.tools.results import NotAResultsFile, import_results
    from onsis_batch.tools.worklist import results_dict, results_text, write_worklists

    inputs = [results_file] if previous is None else [results_file, previous]
    too_large = memory_findings("RES004", inputs)
    if too_large:
        raise InputError(too_large)
    try:
        imported = import_results(
            results_file, previous=previous, data_dir=data_dir, show_pii=show_pii
        )
    except NotAResultsFile as problem:  # the tools' own exception, in the family's terms
        raise InputError(problem.findings()) from None
    written = write_worklists(imported, out_dir, lang, show_pii) if out_dir is not None else []
    code = EXIT_ERRORS if imported.open_errors() else EXIT_CLEAN
    hide = oen_hider(show_pii)  # the keys name students by OEN (the work lists keep them, D874)
    if as_json:
        body = results_dict(imported) | {"written": [str(path) for path in written]}
        emit_json("results", mask_data(body, hide), verdict=None, exit_code=code)
    else:
        say(hide(results_text(imported, lang)))
        for path in written:
            say(f"{word(lang, 'summary_written')}: {path}")
    sys.exit(code)
