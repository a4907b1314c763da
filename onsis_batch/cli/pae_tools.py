"""`pae-from-xml`: the extracts OnSIS would hand out after accepting a batch file."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json, say
from onsis_batch.cli.options import (
    EXISTING_FILE,
    examples,
    json_option,
    lang_option,
    out_option,
    timestamp_option,
)
from onsis_batch.errors import EXIT_CLEAN, InputError, UsageError


@click.command(
    "pae-from-xml",
    cls=Command,
    epilog=examples(
        "onsis-batch pae-from-xml out/ONSIS_OCTSEC1_20251031_999001.xml --pae pae/ \\\n"
        "    --out pae-after/",
        "onsis-batch generate --data sis/ --pae pae-after/ --bsid 999001 --period oct \\\n"
        "    --year 2025-2026 --out again/     # what a second file would still send",
    ),
)
@click.argument("xml_file", type=EXISTING_FILE)
@click.option(
    "--pae",
    "pae_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of the Pending Area Extracts the file was generated against.",
)
@out_option(required=True, text="Folder for the extracts after the file (not the --pae folder).")
@timestamp_option
@json_option("what was written")
@lang_option
def pae_from_xml(
    xml_file: Path,
    pae_dir: Path,
    out_dir: Path,
    timestamp: datetime | None,
    as_json: bool,
    lang: str,
) -> None:
    """Write the PAE extracts OnSIS would hand out after accepting a batch file."""
    from onsis_batch.findings import has_errors
    from onsis_batch.report.i18n import finding_line, word
    from onsis_batch.tools.pae_from_xml import pae_from_xml as apply_file
    from onsis_batch.tools.records import NotABatchFile, batch_findings

    if out_dir.resolve() == pae_dir.resolve():
        raise UsageError("--out must not be the --pae folder: the extracts read stay as they are")
    try:
        done = apply_file(xml_file, pae_dir, out_dir, created=timestamp)
    except NotABatchFile as problem:  # the tools' own exception, in the family's terms
        raise InputError(batch_findings(problem)) from None
    if has_errors(done.findings):
        raise InputError(done.findings)
    if as_json:
        body = {
            "file": str(xml_file),
            "pae": str(pae_dir),
            "out": str(out_dir),
            "schools": done.schools,
            "rows": done.rows,
            "written": [str(path) for path in done.written],
            "findings": [f.to_dict() for f in done.findings],
        }
        emit_json("pae-from-xml", body, verdict=None, exit_code=EXIT_CLEAN, lang=lang)
    else:
        for found in done.findings:
            say(finding_line(found, lang))
        for path in done.written:
            say(f"{word(lang, 'summary_written')}: {path}")
        rows = ", ".join(f"{extract} {count}" for extract, count in done.rows.items())
        say(f"{word(lang, 'rows_per_extract')}: {rows}")
    sys.exit(EXIT_CLEAN)
