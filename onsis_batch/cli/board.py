"""`board` (every BSID of a board, in parallel) and `purge` (retention of old outputs)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json, quiet, say
from onsis_batch.cli.options import (
    examples,
    json_option,
    lang_option,
    out_option,
    timestamp_option,
)
from onsis_batch.cli.planning import PlanOptions, plan_options
from onsis_batch.errors import EXIT_CLEAN


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch board --data sis/ --pae pae/ --period oct --year 2025-2026 --out out",
        "onsis-batch board ... --workers 2 --log-json --keep 3      # nightly, unattended",
        "onsis-batch board ... --bsid 999001 --bsid 999002 --json   # two BSIDs, for machines",
        "onsis-batch board ... --reupload          # corrected files: every CLEAR_* flag N",
    ),
)
@plan_options(board=True, upload=True)
@out_option(text="Folder for the batch files, their manifests and the board summary.")
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Worker processes (default: the number of cores).",
)
@timestamp_option
@json_option("the board summary")
@click.option("--log-json", is_flag=True, help="Log one JSON object per event on stderr.")
@click.option(
    "--keep",
    type=click.IntRange(1),
    help="Afterwards, keep only the newest N batch files per BSID (and summaries).",
)
@lang_option
def board(
    plan: PlanOptions,
    out_dir: Path,
    workers: int | None,
    timestamp: datetime | None,
    as_json: bool,
    log_json: bool,
    keep: int | None,
    lang: str,
) -> None:
    """Generate the batch file of every BSID of the board for one period, in parallel.

    Each school is isolated: one school's bad data or failure gives findings for that
    school and does not stop the others. Exit code: the worst of the schools' codes.
    """
    from onsis_batch.cli.live import BoardDisplay
    from onsis_batch.period.clear_flags import effective
    from onsis_batch.report.board import board_summary_dict, board_summary_text, board_verdict
    from onsis_batch.run.log import RunLog

    if plan.pae_dir is None and not plan.no_pae:
        raise click.UsageError("missing --pae (or --no-pae)")
    plan = plan.resolved()
    if plan.kind is None:
        raise click.UsageError("missing --period (or run: period in --config)")
    silent = as_json or log_json or quiet()
    with BoardDisplay(lang, silent=silent) as display:  # shown before the school data is read
        from onsis_batch.run.board_run import choose_bsids, run_board

        request = choose_bsids(plan.request())
        display.total = len(request.bsids)
        run = run_board(
            request,
            out_dir,
            log=RunLog(as_json=True, enabled=log_json),  # the school lines say the rest
            created=timestamp,
            workers=workers,
            keep=keep,
            on_result=display.finished,
            on_staged=display.staged,
        )
    flags = effective(request.options.clear_flags)
    if as_json:
        body = board_summary_dict(run, request.kind, request.school_year) | {"clear_flags": flags}
        verdict = board_verdict(run)
        emit_json("board", body, verdict=verdict, exit_code=run.exit_code, lang=lang)
    else:
        say(board_summary_text(run, request.kind, request.school_year, lang, flags))
    sys.exit(run.exit_code)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch purge --out out --older-than 30 --dry-run",
        "onsis-batch purge --out out --keep 3",
    ),
)
@out_option(required=True, text="Folder of batch files, manifests and summaries.")
@click.option(
    "--older-than", "days", type=click.FloatRange(0), help="Delete outputs older than DAYS."
)
@click.option("--keep", type=click.IntRange(1), help="Keep only the newest N batch files per BSID.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@json_option("the files deleted (or to delete)")
@lang_option
def purge(
    out_dir: Path, days: float | None, keep: int | None, dry_run: bool, as_json: bool, lang: str
) -> None:
    """Delete old batch files, manifests and summaries: personal data kept no longer."""
    from onsis_batch.report.i18n import counted, word
    from onsis_batch.run.retention import purge as remove

    if days is None and keep is None:
        raise click.UsageError("give --older-than DAYS, --keep N, or both")
    removed = remove(out_dir, older_than_days=days, keep=keep, dry_run=dry_run)
    if as_json:
        body = {"out_dir": str(out_dir), "dry_run": dry_run, "files": [str(p) for p in removed]}
        emit_json("purge", body, verdict=None, exit_code=EXIT_CLEAN)
        return
    for path in removed:
        say(f"{word(lang, 'would_delete' if dry_run else 'deleted')}: {path}")
    say(counted(lang, "n_files_to_delete" if dry_run else "n_files_deleted", len(removed)))
