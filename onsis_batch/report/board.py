"""The board summary: one line per BSID (counts, findings, file, time) and the totals.

Like the school summary it names BSIDs, files and finding codes, never a person, so it is
safe in cron mail; `board-summary-<period>-<year>.json` keeps it beside the batch files, in
the same JSON envelope as `board --json`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_INPUT, EXIT_INTERNAL
from onsis_batch.findings import Severity, count_by_severity
from onsis_batch.plan.outcome import BoardRun, RunResult
from onsis_batch.render.publish import write_private
from onsis_batch.report.summary import (
    envelope,
    not_sent_line,
    period_names,
    run_verdict,
    verdict_line,
    worst_verdict,
)

STATUS = {
    EXIT_CLEAN: "ok",
    EXIT_ERRORS: "errors",
    EXIT_INPUT: "not generated",
    EXIT_INTERNAL: "internal error",
}


def summary_name(kind: str, school_year: str) -> str:
    """The file name of a period's board summary."""
    return f"board-summary-{kind}-{school_year}.json"


def _school(result: RunResult) -> dict[str, Any]:
    return {
        "bsid": result.bsid,
        "status": STATUS[result.exit_code],
        "verdict": run_verdict(result),
        "exit_code": result.exit_code,
        "students": result.students,
        "segments": result.counts(),
        "findings_by_severity": count_by_severity(result.findings),
        "finding_codes": dict(sorted(Counter(f.code for f in result.findings).items())),
        "not_sent": dict(result.not_sent),
        "output": result.output.name if result.output else None,
        "sha256": result.sha256,
        "seconds": round(result.seconds, 2),
    }


def board_verdict(run: BoardRun) -> str:
    """The board's verdict: nothing-written when no file was, else the worst school's, a
    school left without a file counting as errors (the board's submission is not whole)."""
    if not any(r.output for r in run.results):
        return "nothing-written"
    return worst_verdict("errors" if r.output is None else run_verdict(r) for r in run.results)


def board_summary_dict(run: BoardRun, kind: str, school_year: str) -> dict[str, Any]:
    """The board summary as plain data: totals and one entry per BSID."""
    code = next((r.period.code for r in run.results if r.period is not None), None)
    return {
        "period": period_names(code, kind, school_year),
        "school_year": school_year,
        "exit_code": run.exit_code,
        "seconds": round(run.seconds, 1),
        "bsids": len(run.results),
        "files_written": sum(r.output is not None for r in run.results),
        "students": sum(r.students for r in run.results),
        "not_sent": not_sent_totals(run),
        "worker_peaks_mb": [round(mb) for mb in run.worker_peaks_mb],
        "schools": [_school(r) for r in run.results],
        "school_data_findings": {
            "by_severity": count_by_severity(run.data_findings),
            "findings": [f.to_dict() for f in run.data_findings],
        },
    }


def not_sent_totals(run: BoardRun) -> dict[str, int]:
    """Records not sent by reason id, over every school of the board."""
    totals: Counter[str] = Counter()
    for result in run.results:
        totals.update(result.not_sent)
    return dict(sorted(totals.items()))


def school_line(result: RunResult) -> str:
    """One line per finished BSID, for logs and non-interactive output."""
    counts = count_by_severity(result.findings)
    written = result.output.name if result.output else "no file"
    return (
        f"{result.bsid:<8} {STATUS[result.exit_code]:<14} students {result.students:>6}  "
        f"errors {counts[str(Severity.ERROR)]:>4}  warnings {counts[str(Severity.WARNING)]:>4}  "
        f"{result.seconds:5.1f} s  {written}"
    )


def board_summary_text(run: BoardRun, kind: str, school_year: str) -> str:
    """The board summary for people: the verdict, one line per BSID, then the totals."""
    lines = [verdict_line(board_verdict(run))]
    lines.append(f"OnSIS {kind} {school_year}: {len(run.results)} BSIDs in {run.seconds:.1f} s")
    lines += [f"  {school_line(r)}" for r in run.results]
    written = sum(r.output is not None for r in run.results)
    statuses = Counter(STATUS[r.exit_code] for r in run.results)
    lines.append(
        f"files written: {written}/{len(run.results)}; "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    )
    data = count_by_severity(run.data_findings)
    lines.append("school data findings: " + ", ".join(f"{n} {s}" for s, n in data.items()))
    totals = not_sent_totals(run)
    if totals:
        lines.append(not_sent_line(totals))
    if board_verdict(run) == "errors" and written:  # not a normal-looking end
        lines.append("do not upload the files of the schools with errors; see the lines above")
    return "\n".join(lines)


def write_board_summary(run: BoardRun, out_dir: Path, kind: str, school_year: str) -> Path:
    """Write the board summary as JSON beside the batch files (owner-only); its path."""
    path = out_dir / summary_name(kind, school_year)
    body = board_summary_dict(run, kind, school_year)
    data = envelope("board", body, verdict=board_verdict(run), exit_code=run.exit_code)
    write_private(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
    return path
