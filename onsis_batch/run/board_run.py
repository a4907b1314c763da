"""A whole board run, as `onsis-batch board` asks for it: which BSIDs, how many workers, the
log lines, the board summary beside the files and the retention afterwards.

The command only parses its options, shows progress and prints the summary; everything a
run does lives here, so a scheduler calling the library gets the same run (D452).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from onsis_batch.errors import InputError
from onsis_batch.findings import Severity, count_by_severity
from onsis_batch.period.periods import board_bsids
from onsis_batch.plan.outcome import BoardRun, RunResult, errors_first
from onsis_batch.report.board import FIRST_FINDINGS, failed, worst_codes, write_board_summary
from onsis_batch.run.board import Done, Staged, generate_many
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
    on_staged: Staged | None = None,
) -> BoardRun:
    """Generate every BSID of the request (see `choose_bsids`), one file each.

    Writes the board summary and the transmission status board view beside it when
    anything was learnt, keeps only the newest `keep` files per BSID afterwards, and logs
    each step on `log`. `workers` defaults to the number of cores, never more than there
    are BSIDs. `on_staged` is called once the school data is staged, `on_result` with each
    school's result (both for a display).
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
        on_staged=on_staged,
    )
    learnt = run.data_findings or any(r.output for r in run.results)
    if learnt:
        write_board_summary(run, out_dir, request.kind, request.school_year)
    if keep is not None:
        removed = purge(out_dir, keep=keep)
        log.event("purged", out_dir=str(out_dir), removed=len(removed))
    if learnt:  # after the purge, so that it names only files still there (D876)
        write_transmission_status(out_dir, request.kind, request.school_year)
    level = "info" if run.exit_code == 0 else "error"
    log.event("board_done", level, exit_code=run.exit_code, seconds=round(run.seconds, 1))
    return run


def _logged(log: RunLog, then: Done | None) -> Done:
    """A result callback that logs each finished BSID (counts only), then calls `then`."""

    def finished(result: RunResult) -> None:
        by_severity = count_by_severity(result.findings)
        worst = worst_codes(result.findings, shown=1).partition("×")[0]
        level = "error" if result.exit_code else "warning" if by_severity["warning"] else "info"
        log.event(
            "bsid_done",
            level,
            bsid=result.bsid,
            code=worst or None,
            codes=dict(Counter(f.code for f in result.findings)),
            exit_code=result.exit_code,
            students=result.students,
            output=result.output.name if result.output else None,
            seconds=round(result.seconds, 2),
            errors=by_severity["error"],
            warnings=by_severity["warning"],
        )
        if failed(result):  # where to look, as the school's line shows it
            for item in errors_first(result.findings)[:FIRST_FINDINGS]:
                level = "error" if item.severity == Severity.ERROR else "warning"
                place = {"file": item.file, "row": item.row, "column": item.column}
                log.event("finding", level, bsid=result.bsid, code=item.code, **place)
        if then is not None:
            then(result)

    return finished
