"""The end-of-run summary: counts per segment and action, findings by severity, verdict.

Findings name files, rows, columns, OENs and SIS ids, never names or birth dates, so the
summary is safe to keep in cron logs. Every command's JSON shares one envelope (`envelope`,
described by `cli/output.schema.json`): the schema id, the command, the verdict on the
batch file and the exit code, then what the command reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from onsis_batch.findings import Finding, Severity, count_by_severity
from onsis_batch.period.clear_flags import effective, flags_set
from onsis_batch.period.periods import default_period_code
from onsis_batch.plan.outcome import RunResult, errors_first
from onsis_batch.report.i18n import counted, labels, severity_counts
from onsis_batch.report.i18n import finding_line as finding_line  # where commands find it
from onsis_batch.report.masking import mask_data, oen_hider

ACTIONS = ("ADD", "UPDATE", "DELETE")
SHOWN_FINDINGS = 50
SCHEMA = "onsis-batch/1"  # the JSON envelope's version: bumped when a key changes meaning

# What a command's outcome means for the upload, best first: word ids (translated where
# they are shown) and their English wording. A command that judges no batch file has none.
VERDICTS = {
    "ready": "ready to upload",
    "warnings": "upload with warnings",
    "errors": "do not upload (errors)",
    "nothing-written": "nothing written",
}
PERIOD_NAMES = ("oct", "mar", "jun")


def verdict(findings: Iterable[Finding], written: bool) -> str:
    """The verdict on a batch file (`written`: there is one) given its findings."""
    severities = {f.severity for f in findings}
    if not written:
        return "nothing-written"
    if Severity.ERROR in severities:
        return "errors"
    return "warnings" if Severity.WARNING in severities else "ready"


def worst_verdict(verdicts: Iterable[str]) -> str:
    """The worst of several files' verdicts; nothing-written when there are none."""
    order = list(VERDICTS)
    return max(verdicts, key=order.index, default="nothing-written")


def period_names(
    code: str | None, kind: str | None = None, school_year: str | None = None
) -> dict[str, str | None] | None:
    """A period as JSON shows it everywhere: the Ministry code and the short name.

    The code is worked out from the short name and year when only those are known.
    """
    if code is None and kind and school_year:
        code = default_period_code(kind, school_year)[0]
    if code is None:
        return None
    short = kind or next((name for name in PERIOD_NAMES if code.lower().startswith(name)), None)
    return {"code": code, "short": short}


def verdict_text(verdict: str, lang: str = "en") -> str:
    """The verdict in words, in `lang` (the labels of report/labels.yaml)."""
    return labels(lang)[f"verdict_{verdict}"]


def verdict_line(verdict: str, lang: str = "en") -> str:
    """The line every summary starts with: `verdict: ready to upload` (or in French)."""
    return f"{labels(lang)['verdict']}: {verdict_text(verdict, lang)}"


def envelope(
    command: str,
    body: Mapping[str, Any],
    *,
    verdict: str | None,
    exit_code: int,
    lang: str = "en",
) -> dict[str, Any]:
    """`body` in the envelope every command's JSON shares; a period given as its code
    (text) becomes the code and short name. A verdict comes with its words in `lang`."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    data: dict[str, Any] = {"schema": SCHEMA, "command": command, "verdict": verdict}
    if verdict is not None:
        data["verdict_text"] = verdict_text(verdict, lang)
    data |= {"exit_code": exit_code, **body}
    if isinstance(data.get("period"), str):
        data["period"] = period_names(data["period"], school_year=data.get("school_year"))
    return data


def run_verdict(result: RunResult) -> str:
    """The verdict on one BSID's run."""
    return verdict(result.findings, result.output is not None)


def summary_dict(
    result: RunResult,
    kind: str | None = None,
    school_year: str | None = None,
    *,
    show_pii: bool = False,
) -> dict[str, Any]:
    """The run summary as plain data (`generate --json`); `kind` and `school_year` (the
    request's) name the period when the run stopped before working it out. Findings show
    OENs by their last three digits (a segment's key names the student) unless `show_pii`."""
    period = result.period
    return {
        "bsid": result.bsid,
        "period": period_names(period.code if period else None, kind, school_year),
        "school_year": period.school_year if period else school_year,
        "count_date": period.count_date.isoformat() if period else None,
        "output": str(result.output) if result.output else None,
        "manifest": str(result.manifest) if result.manifest else None,
        "sha256": result.sha256,
        "bytes": result.size,
        "students": result.students,
        "segments": result.counts(),
        "findings_by_severity": count_by_severity(result.findings),
        "not_sent": dict(result.not_sent),
        "overrides_applied": result.overrides_applied,
        "clear_flags": effective(period.clear_flags) if period else None,
        "findings": [
            mask_data(f.to_dict(), oen_hider(show_pii)) for f in errors_first(result.findings)
        ],
        "exit_code": result.exit_code,
    }


def _segment_table(counts: dict[str, dict[str, int]], lang: str) -> list[str]:
    heading = labels(lang)["segment"].lower()
    width = max([len(heading), *map(len, counts)])
    lines = ["  " + heading.ljust(width) + "".join(a.rjust(9) for a in ACTIONS)]
    for name, by_action in counts.items():
        cells = "".join(str(by_action.get(a, 0)).rjust(9) for a in ACTIONS)
        if not any(by_action.get(a) for a in ACTIONS):  # STUDENT has no ACTION: show its total
            total = sum(by_action.values())
            cells = (" " * (9 - len(str(total))) + counted(lang, "n_rows", total)).ljust(27)
        lines.append("  " + name.ljust(width) + cells)
    return lines


def summary_text(
    result: RunResult, *, shown: int = SHOWN_FINDINGS, lang: str = "en", show_pii: bool = False
) -> str:
    """The run summary for people: the verdict, the period, counts per segment, records
    not sent by reason, the first `shown` findings (then counts per code of the others),
    the file written; a file with errors ends with a line saying not to upload it."""
    words = labels(lang)
    period = result.period
    judged = run_verdict(result)
    lines = [verdict_line(judged, lang)]
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
        lines += _segment_table(result.counts(), lang)
    if result.not_sent:
        lines.append(not_sent_line(result.not_sent, lang))
    severities = count_by_severity(result.findings)
    lines.append(f"{words['summary_findings']}: {severity_counts(lang, severities)}")
    ordered = errors_first(result.findings)
    hide = oen_hider(show_pii)  # a segment's key holds the OEN
    lines += [f"  {hide(finding_line(f, lang))}" for f in ordered[:shown]]
    if len(ordered) > shown:
        lines.append(f"  ... {len(ordered) - shown} {words['summary_more']}")
        lines.append(f"  {words['summary_hidden']}: {hidden_codes(ordered[shown:])}")
    if result.output:
        lines.append(f"{words['summary_written']}: {result.output}")
        if result.manifest is not None and result.manifest.exists():
            lines.append(f"{words['summary_manifest']}: {result.manifest}")
        if period:
            lines.append(clear_line(effective(period.clear_flags), lang))
    else:
        lines.append(words["summary_not_written"])
    if result.report:
        lines.append(f"{words['summary_report']}: {result.report}")
    if judged == "errors":  # never end on a normal-looking "written:" line
        lines.append(words["summary_errors_tail"])
    return "\n".join(lines)


def clear_line(values: Mapping[str, str], lang: str = "en") -> str:
    """Which CLEAR_* flags of the file are Y, or that none is (D762)."""
    words = labels(lang)
    chosen = flags_set(values)
    if not chosen:
        return words["summary_clear_none"]
    return f"{words['summary_clear_set']}: {', '.join(chosen)}"


def hidden_codes(findings: Iterable[Finding]) -> str:
    """`SRC004 120, SRC012 3`: how many findings of each code a capped list left out."""
    counted = Counter(f.code for f in findings)
    return ", ".join(f"{code} {n}" for code, n in sorted(counted.items()))


def not_sent_line(counts: Mapping[str, int], lang: str = "en") -> str:
    """`not sent: 12 (NOTSENT-STU-NO-SHOW 3, ...)`: records of the school data left out of
    the file, by reason id."""
    total = sum(counts.values())
    by_reason = ", ".join(f"{reason} {n}" for reason, n in counts.items())
    return f"{labels(lang)['summary_not_sent']}: {total} ({by_reason})"
