"""The board summary: one line per BSID (counts, findings, file, time) and the totals.

Like the school summary it names BSIDs, files and finding codes, never a person, so it is
safe in cron mail; `board-summary-<period>-<year>.json` keeps it beside the batch files, in
the same JSON envelope as `board --json`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS, EXIT_INPUT, EXIT_INTERNAL
from onsis_batch.findings import Finding, Severity, count_by_severity
from onsis_batch.plan.outcome import BoardRun, RunResult, errors_first
from onsis_batch.render.publish import write_private
from onsis_batch.report.i18n import counted, labels, location, seconds, severity_counts
from onsis_batch.report.summary import (
    clear_line,
    envelope,
    not_sent_line,
    period_names,
    run_verdict,
    verdict_line,
    worst_verdict,
)
from onsis_batch.sources.issues import without_oens

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


FIRST_FINDINGS = 3  # findings shown under the line of a school that failed
WORST_CODES = 3  # finding codes named on a school's line
LOOK_FIRST = 5  # schools named at the end of the board summary
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def worst_codes(findings: Iterable[Finding], shown: int = WORST_CODES) -> str:
    """`SRC004×120 SRC012×3`: the most serious finding codes, most frequent first."""
    counts = Counter((f.code, f.severity) for f in findings)
    ranked = sorted(counts.items(), key=lambda item: (_SEVERITY_RANK[item[0][1]], -item[1]))
    return " ".join(f"{code}×{n}" for (code, _), n in ranked[:shown])


def failed(result: RunResult) -> bool:
    """Whether the school got no file because of its input or an internal error."""
    return result.exit_code in (EXIT_INPUT, EXIT_INTERNAL)


def status_word(result: RunResult, lang: str = "en") -> str:
    """The school's status in words: ok, errors, not generated, internal error."""
    return labels(lang)[f"status_{STATUS[result.exit_code].replace(' ', '-')}"]


def school_line(result: RunResult, lang: str = "en") -> str:
    """One line per finished BSID: status, counts, time, file and its worst finding codes."""
    counts = count_by_severity(result.findings)
    written = result.output.name if result.output else labels(lang)["no_file"]
    cells = [
        f"{result.bsid:<8} {status_word(result, lang):<14}",
        counted(lang, "n_students", result.students).rjust(14),
        counted(lang, "n_errors", counts[str(Severity.ERROR)]).rjust(12),
        counted(lang, "n_warnings", counts[str(Severity.WARNING)]).rjust(20),
        seconds(lang, result.seconds).rjust(8),
        written,
    ]
    codes = worst_codes(result.findings)
    return "  ".join(cells) + (f"  {codes}" if codes else "")


def school_lines(result: RunResult, lang: str = "en") -> list[str]:
    """A school's line, and under it the first findings of a school that failed (code,
    file, row, column: where to look)."""
    lines = [school_line(result, lang)]
    if failed(result):
        shown = errors_first(result.findings)[:FIRST_FINDINGS]
        lines += [f"    {_finding_brief(f, lang)}" for f in shown]
    return lines


def _finding_brief(item: Finding, lang: str) -> str:
    where = location(item, lang)
    message = item.message_fr if lang == "fr" else item.message_en
    # a segment finding names its student by OEN: the terminal shows the last three digits
    return without_oens(f"{item.code}{f' [{where}]' if where else ''}: {message}")


def look_first(results: Iterable[RunResult], shown: int = LOOK_FIRST) -> list[RunResult]:
    """The schools to look at first: those that failed, then those with errors (most
    first), then those with the most warnings; clean schools are left out."""

    def urgency(result: RunResult) -> tuple[int, int, int]:
        counts = count_by_severity(result.findings)
        errors, warnings = counts[str(Severity.ERROR)], counts[str(Severity.WARNING)]
        return (0 if failed(result) else 1 if errors else 2, -errors, -warnings)

    worth = [r for r in results if urgency(r) != (2, 0, 0)]
    return sorted(worth, key=urgency)[:shown]


def _look_first_line(results: Iterable[RunResult], lang: str) -> str | None:
    chosen = look_first(results)
    if not chosen:
        return None
    named = []
    for result in chosen:
        counts = count_by_severity(result.findings)
        if failed(result):
            why = status_word(result, lang)
        elif counts[str(Severity.ERROR)]:
            why = counted(lang, "n_errors", counts[str(Severity.ERROR)])
        else:
            why = counted(lang, "n_warnings", counts[str(Severity.WARNING)])
        named.append(f"{result.bsid} ({why})")
    return f"{labels(lang)['board_look_first']}: {', '.join(named)}"


def board_summary_text(
    run: BoardRun,
    kind: str,
    school_year: str,
    lang: str = "en",
    clear_flags: Mapping[str, str] | None = None,
) -> str:
    """The board summary for people: the verdict, one line per BSID (with the first
    findings of those that failed), the totals, and last the schools to look at first."""
    words = labels(lang)
    lines = [verdict_line(board_verdict(run), lang)]
    bsids = counted(lang, "n_bsids", len(run.results))
    lines.append(
        words["board_title"].format(
            kind=kind, year=school_year, bsids=bsids, seconds=seconds(lang, run.seconds)
        )
    )
    lines += [f"  {line}" for r in run.results for line in school_lines(r, lang)]
    written = sum(r.output is not None for r in run.results)
    statuses = Counter(STATUS[r.exit_code].replace(" ", "-") for r in run.results)
    lines.append(
        f"{words['board_files_written']}: {written}/{len(run.results)}; "
        + ", ".join(counted(lang, f"n_status_{s}", n) for s, n in sorted(statuses.items()))
    )
    data = severity_counts(lang, count_by_severity(run.data_findings))
    lines.append(f"{words['board_data_findings']}: {data}")
    totals = not_sent_totals(run)
    if totals:
        lines.append(not_sent_line(totals, lang))
    if clear_flags is not None:
        lines.append(clear_line(clear_flags, lang))
    if board_verdict(run) == "errors" and written:  # not a normal-looking end
        lines.append(words["board_errors_tail"])
    first = _look_first_line(run.results, lang)
    return "\n".join([*lines, first] if first else lines)


def write_board_summary(run: BoardRun, out_dir: Path, kind: str, school_year: str) -> Path:
    """Write the board summary as JSON beside the batch files (owner-only); its path."""
    path = out_dir / summary_name(kind, school_year)
    body = board_summary_dict(run, kind, school_year)
    data = envelope("board", body, verdict=board_verdict(run), exit_code=run.exit_code)
    write_private(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
    return path
