"""The end-of-run summary: counts per segment and action, findings by severity.

Findings name files, rows, columns, OENs and SIS ids, never names or birth dates, so the
summary is safe to keep in cron logs.
"""

from __future__ import annotations

from typing import Any

from onsis_batch.findings import Finding, count_by_severity
from onsis_batch.plan.outcome import RunResult, errors_first
from onsis_batch.report.explain_view import labels

ACTIONS = ("ADD", "UPDATE", "DELETE")
SHOWN_FINDINGS = 50


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The run summary as plain data (`generate --json`)."""
    period = result.period
    return {
        "bsid": result.bsid,
        "period": period.code if period else None,
        "school_year": period.school_year if period else None,
        "count_date": period.count_date.isoformat() if period else None,
        "output": str(result.output) if result.output else None,
        "manifest": str(result.manifest) if result.manifest else None,
        "sha256": result.sha256,
        "bytes": result.size,
        "students": result.students,
        "segments": result.counts(),
        "findings_by_severity": count_by_severity(result.findings),
        "overrides_applied": result.overrides_applied,
        "findings": [f.to_dict() for f in errors_first(result.findings)],
        "exit_code": result.exit_code,
    }


def _segment_table(counts: dict[str, dict[str, int]]) -> list[str]:
    width = max([len("segment"), *map(len, counts)])
    lines = ["  " + "segment".ljust(width) + "".join(a.rjust(9) for a in ACTIONS)]
    for name, by_action in counts.items():
        cells = "".join(str(by_action.get(a, 0)).rjust(9) for a in ACTIONS)
        if not any(by_action.get(a) for a in ACTIONS):  # STUDENT has no ACTION: show its total
            cells = str(sum(by_action.values())).rjust(9) + " rows".ljust(18)
        lines.append("  " + name.ljust(width) + cells)
    return lines


def summary_text(result: RunResult, *, shown: int = SHOWN_FINDINGS, lang: str = "en") -> str:
    """The run summary for people: period, counts per segment, the first `shown` findings."""
    words = labels(lang)
    period = result.period
    lines = []
    if period:
        lines.append(
            words["summary_title"].format(
                code=period.code,
                year=period.school_year,
                bsid=period.bsid,
                start=f"{period.start:%Y-%m-%d}",
                end=f"{period.count_date:%Y-%m-%d}",
            )
        )
    lines.append(f"{words['summary_students']}: {result.students}")
    if result.planned:
        lines += _segment_table(result.counts())
    severities = count_by_severity(result.findings)
    counted = ", ".join(f"{n} {s}" for s, n in severities.items())
    lines.append(f"{words['summary_findings']}: {counted}")
    ordered = errors_first(result.findings)
    lines += [f"  {_line(f, lang)}" for f in ordered[:shown]]
    if len(ordered) > shown:
        lines.append(f"  ... {len(ordered) - shown} {words['summary_more']}")
    if result.output:
        lines.append(f"{words['summary_written']}: {result.output}")
        if result.manifest is not None and result.manifest.exists():
            lines.append(f"{words['summary_manifest']}: {result.manifest}")
    else:
        lines.append(words["summary_not_written"])
    return "\n".join(lines)


def _line(item: Finding, lang: str) -> str:
    if lang != "fr":
        return str(item)
    where = f" [{item.location}]" if item.location else ""
    return f"{item.severity.upper()} {item.code}{where}: {item.message_fr}"
