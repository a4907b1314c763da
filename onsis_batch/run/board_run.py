"""A whole board run, as `onsis-batch board` asks for it: which BSIDs, how many workers, the
log lines, the board summary beside the files and the retention afterwards.

The command only parses its options, shows progress and prints the summary; everything a
run does lives here, so a scheduler calling the library gets the same run (D452).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from onsis_batch.errors import InputError
from onsis_batch.findings import count_by_severity
from onsis_batch.period.periods import board_bsids
from onsis_batch.plan.outcome import BoardRun, RunResult
from onsis_batch.report.board import write_board_summary
from onsis_batch.run.board import Done, generate_many
from onsis_batch.run.log import RunLog
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.retention import purge
from onsis_batch.sources import load_folder
from onsis_batch.tools.lists.board_view import write_transmission_status


def choose_bsids(request: PlanRequest) -> PlanRequest:
    """The request with its BSIDs chosen: those named (sorted, once each), else every BSID
    with a reporting school. InputError when the school data has no usable `schools` table
    (it is read even when BSIDs are named, so a board run never starts without it)."""
    schools = load_folder(request.data, tables=["schools"])
    if not schools.files.get("schools"):
        raise InputError(schools.findings)
    return request.for_bsids(sorted(set(request.bsids)) or board_bsids(schools.tables["schools"]))


def run_board(
    request: PlanRequest,
    out_dir: Path,
    *,
    log: RunLog,
    created: datetime | None = None,
    workers: int | None = None,
    keep: int | None = None,
    on_result: Done | None = None,
) -> BoardRun:
    """Generate every BSID of the request (see `choose_bsids`), one file each.

    Writes the board summary and the transmission status board view beside it when
    anything was learnt, keeps only the newest `keep` files per BSID afterwards, and logs
    each step on `log`. `workers` defaults to the number of cores, never more than there
    are BSIDs.
    """
    workers = min(workers or os.cpu_count() or 1, max(len(request.bsids), 1))
    log.event(
        "board_start",
        period=request.kind,
        school_year=request.school_year,
        bsids=len(request.bsids),
        workers=workers,
    )
    run = generate_many(
        request,
        out_dir,
        created=created or datetime.now(),
        workers=workers,
        on_result=_logged(log, on_result),
    )
    learnt = run.data_findings or any(r.output for r in run.results)
    if learnt:
        write_board_summary(run, out_dir, request.kind, request.school_year)
    if keep is not None:
        removed = purge(out_dir, keep=keep)
        log.event("purged", out_dir=str(out_dir), removed=len(removed))
    if learnt:  # after the purge, so that it names only files still there (D876)
        write_transmission_status(out_dir, request.kind, request.school_year)
    log.event("board_done", exit_code=run.exit_code, seconds=round(run.seconds, 1))
    return run


def _logged(log: RunLog, then: Done | None) -> Done:
    """A result callback that logs each finished BSID (counts only), then calls `then`."""

    def finished(result: RunResult) -> None:
        by_severity = count_by_severity(result.findings)
        log.event(
            "bsid_done",
            bsid=result.bsid,
            exit_code=result.exit_code,
            students=result.students,
            output=result.output.name if result.output else None,
            seconds=round(result.seconds, 2),
            errors=by_severity["error"],
            warnings=by_severity["warning"],
        )
        if then is not None:
            then(result)

    return finished
