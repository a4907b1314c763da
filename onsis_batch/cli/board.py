"""`board` (every BSID of a board, in parallel) and `purge` (retention of old outputs)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json
from onsis_batch.cli.options import json_option, out_option, timestamp_option
from onsis_batch.cli.planning import PlanOptions, plan_options


class _BoardProgress:
    """A live status line on a terminal; one line per finished school otherwise."""

    def __init__(self, total: int, live: bool, quiet: bool) -> None:
        self.total, self.live, self.quiet, self.finished = total, live, quiet, 0
        self.started = datetime.now()

    def step(self, line: str) -> None:
        """One more school finished: update the status line, or print its line."""
        self.finished += 1
        if self.live:
            elapsed = (datetime.now() - self.started).total_seconds()
            status = f"[{self.finished}/{self.total}] {elapsed:5.0f} s  {line}"
            click.echo(f"\r\033[K{status}", nl=False, err=True)
        elif not self.quiet:
            click.echo(line)

    def done(self) -> None:
        """Clear the status line."""
        if self.live:
            click.echo("\r\033[K", nl=False, err=True)


@click.command(cls=Command)
@plan_options(board=True)
@out_option()
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
def board(
    plan: PlanOptions,
    out_dir: Path,
    workers: int | None,
    timestamp: datetime | None,
    as_json: bool,
    log_json: bool,
    keep: int | None,
) -> None:
    """Generate the batch file of every BSID of the board for one period, in parallel.

    Each school is isolated: one school's bad data or failure gives findings for that
    school and does not stop the others. Exit code: the worst of the schools' codes.
    """
    from onsis_batch.report.board import board_summary_dict, board_summary_text, school_line
    from onsis_batch.run.board_run import choose_bsids, run_board
    from onsis_batch.run.log import RunLog

    if plan.pae_dir is None and not plan.no_pae:
        raise click.UsageError("missing --pae (or --no-pae)")
    request = choose_bsids(plan.request())
    interactive = sys.stderr.isatty() and not log_json and not as_json
    progress = _BoardProgress(len(request.bsids), interactive, quiet=as_json or log_json)
    run = run_board(
        request,
        out_dir,
        log=RunLog(as_json=True, enabled=log_json),  # the school lines say the rest
        created=timestamp,
        workers=workers,
        keep=keep,
        on_result=lambda result: progress.step(school_line(result)),
    )
    progress.done()
    if as_json:
        emit_json(board_summary_dict(run, request.kind, request.school_year))
    else:
        click.echo(board_summary_text(run, request.kind, request.school_year))
    sys.exit(run.exit_code)


@click.command(cls=Command)
@out_option(required=True, text="Folder of batch files, manifests and summaries.")
@click.option(
    "--older-than", "days", type=click.FloatRange(0), help="Delete outputs older than DAYS."
)
@click.option("--keep", type=click.IntRange(1), help="Keep only the newest N batch files per BSID.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
def purge(out_dir: Path, days: float | None, keep: int | None, dry_run: bool) -> None:
    """Delete old batch files, manifests and summaries: personal data kept no longer."""
    from onsis_batch.run.retention import purge as remove

    if days is None and keep is None:
        raise click.UsageError("give --older-than DAYS, --keep N, or both")
    removed = remove(out_dir, older_than_days=days, keep=keep, dry_run=dry_run)
    for path in removed:
        click.echo(f"{'would delete' if dry_run else 'deleted'}: {path}")
    click.echo(f"{len(removed)} file(s) {'to delete' if dry_run else 'deleted'}")
