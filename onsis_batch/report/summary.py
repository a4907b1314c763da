"""The end-of-run summary: counts per segment and action, findings by severity.

Findings name files, rows, columns, OENs and SIS ids, never names or birth dates, so the
summary is safe to keep in cron logs.
"""

from __future__ import annotations

from typing import Any

from onsis_batch.findings import count_by_severity
from onsis_batch.manifest import manifest_path
from onsis_batch.pipeline import RunResult, errors_first

ACTIONS = ("ADD", "UPDATE", "DELETE")
SHOWN_FINDINGS = 50


def summary_dict(result: RunResult) -> dict[str, Any]:
    period = result.period
    return {
        "bsid": result.bsid,
        "period": period.code if period else None,
        "school_year": period.school_year if period else None,
        "count_date": period.count_date.isoformat() if period else None,
        "output": str(result.output) if result.output else None,
        "manifest": str(manifest_path(result.output)) if result.output else None,
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


def summary_text(result: RunResult, *, shown: int = SHOWN_FINDINGS) -> str:
    period = result.period
    lines = []
    if period:
        lines.append(
            f"OnSIS {period.code} {period.school_year} for BSID {period.bsid} "
            f"({period.start:%Y-%m-%d} to {period.count_date:%Y-%m-%d})"
        )
    lines.append(f"students: {result.students}")
    if result.planned:
        lines += _segment_table(result.counts())
    severities = count_by_severity(result.findings)
    lines.append("findings: " + ", ".join(f"{n} {s}" for s, n in severities.items()))
    ordered = errors_first(result.findings)
    lines += [f"  {f}" for f in ordered[:shown]]
    if len(ordered) > shown:
        lines.append(f"  ... {len(ordered) - shown} more (use --json for all)")
    if result.output:
        lines.append(f"written: {result.output}")
        if manifest_path(result.output).exists():
            lines.append(f"manifest: {manifest_path(result.output)}")
    else:
        lines.append("no file written")
    return "\n".join(lines)
