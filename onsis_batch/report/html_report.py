"""The HTML run report: one self-contained page beside the batch file (`generate --html`).

The page starts with the verdict (D845). Sections: rows per segment and action, findings
grouped by code (each linked to the student it concerns), overrides applied, the records
of the school data not sent with the reason why (D844), and one section per student
(anchor `s<n>`, numbered in plan order so no identifier leaks into a link) with its rows
(each rule id with its title from the reason catalog) and findings. Labels, finding
messages and rule titles in English or French. Every OEN the run knows is masked unless
`show_pii` (D282).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding, catalog
from onsis_batch.period.clear_flags import clear_flags, effective, flags_set
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.keys import natural_keys
from onsis_batch.plan.model import Plan
from onsis_batch.plan.outcome import Inputs, RunResult, errors_first
from onsis_batch.reasons import reason_title
from onsis_batch.render.publish import output_name, write_private
from onsis_batch.report.chart import counts_svg
from onsis_batch.report.explain import subtree
from onsis_batch.report.explain_view import labels
from onsis_batch.report.masking import known_oens, text_masker
from onsis_batch.report.not_sent import report_counts, report_rows
from onsis_batch.report.page import render
from onsis_batch.report.student_data import compact_students, script_json
from onsis_batch.report.summary import run_verdict
from onsis_batch.segments.context import MISSING_OEN
from onsis_batch.specs import load_specs
from onsis_batch.tools.preview.figures import Preview, preview_of
from onsis_batch.tools.preview.view import measure_label, shown
from onsis_batch.tools.records import read_batch

ACTIONS = ("ADD", "UPDATE", "DELETE")
SUFFIX = ".report.html"


@dataclass(frozen=True)
class ReportOptions:
    """The report's language and whether personal values are shown."""

    lang: str = "en"
    show_pii: bool = False


def report_path(output: Path) -> Path:
    """`ONSIS_….xml` -> `ONSIS_….xml.report.html` (a companion `purge` removes with it)."""
    return output.with_name(output.name + SUFFIX)


def student_rows(plan: Plan) -> pl.DataFrame:
    """Every plan row under a student: `_student` (the STUDENT `_id`), segment, its rank
    in the segment tree, order, action, rule id and natural key."""
    keys = natural_keys(plan)
    owner: dict[str, pl.DataFrame] = {}
    parts = []
    for rank, name in enumerate(subtree("STUDENT")):  # parents first, in spec order
        frame = plan.segments.get(name)
        if frame is None:
            continue
        frame = frame.join(keys[name], on="_id", how="left", maintain_order="left")
        if name == "STUDENT":
            frame = frame.with_columns(pl.col("_id").alias("_student"))
        else:
            parent = owner.get(load_specs()[name].parent)
            if parent is None:
                continue
            frame = frame.join(parent, left_on="_parent", right_on="_pid", how="inner")
        owner[name] = frame.select(pl.col("_id").alias("_pid"), "_student")
        parts.append(
            frame.select(
                "_student",
                pl.lit(name).alias("segment"),
                pl.lit(rank).alias("_rank"),
                pl.col("_order").cast(pl.Int64),
                pl.col("_action").cast(pl.String),
                pl.col("_reason").cast(pl.String)
                if "_reason" in frame.columns
                else pl.lit(None, pl.String).alias("_reason"),
                pl.col("_key"),
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def report_data(
    result: RunResult,
    options: ReportOptions,
    oens: set[str],
    created: datetime,
    preview: Preview | None = None,
) -> dict[str, Any]:
    """Everything the template shows, as plain data, OENs masked unless asked for;
    `preview`: the figures OnSIS will show once the written file is loaded (D970)."""
    mask = (lambda text: text) if options.show_pii else text_masker(oens)
    message = "message_fr" if options.lang == "fr" else "message_en"
    students = _students(result.plan, mask, options.lang) if result.plan is not None else []
    anchors = {s["anchor"]: s for s in students}
    ids = {key: s["anchor"] for s in students for key in s.pop("_match")}
    found = [_finding_row(f, message, ids, mask) for f in errors_first(result.findings)]
    for row in found:
        if row["anchor"]:
            anchors[row["anchor"]]["findings"].append(row)
    period = result.period
    counts = _counts(result.counts())
    t = labels(options.lang)
    return {
        "t": t,
        "verdict": run_verdict(result),
        "lang": options.lang,
        "masked": not options.show_pii,
        "bsid": result.bsid,
        "period": period.code if period else "",
        "school_year": period.school_year if period else "",
        "count_date": period.count_date.isoformat() if period else "",
        "output": result.output.name if result.output else None,
        "generated": created.strftime("%Y-%m-%d %H:%M"),
        "students_count": result.students,
        "actions": ACTIONS,
        "counts": counts,
        "chart": counts_svg(counts, ACTIONS, t["counts"]),
        "groups": _groups(found, options.lang),
        "severities": _severities(found),
        "overrides": [_override(o, mask) for o in result.overrides_applied],
        "students": script_json(compact_students(students)),
        "script_labels": script_json(_script_labels(t)),
        "clear_set": _clear_set(period),
        "not_sent": report_rows(result.plan, mask, options.lang),
        "not_sent_counts": report_counts(result.not_sent, options.lang),
        "preview": _preview(preview, options.lang) if preview else None,
    }


def _preview(preview: Preview, lang: str) -> list[dict[str, Any]]:
    """Each figure: its title, sources and rows with their values as text."""
    words = labels(lang)
    return [
        {
            "name": figure.name,
            "title": figure.title(lang),
            "sources": "; ".join(figure.sources).replace("file", words["preview_file"]),
            "rows": [
                {
                    "group": words["total"] if row["group"] == "total" else row["group"],
                    "total": row["group"] == "total",
                    "measure": measure_label(words, row),
                    "value": shown(row["value"], row["measure"]),
                }
                for row in figure.rows
            ],
        }
        for figure in preview.figures
    ]


def _script_labels(t: dict[str, str]) -> dict[str, Any]:
    """The words the page's script writes (student details, search and filter counts)."""
    columns = [t[k] for k in ("segment", "action", "rule", "rule_title", "key")]
    return {
        "student": t["student"],
        "no_rows": t["no_rows"],
        "columns": columns,
        "found": t["student_search_found"],
        "shown": t["filter_shown"],
    }


def _clear_set(period: SubmissionPeriod | None) -> list[dict[str, str]]:
    """The CLEAR_* flags the file sets to Y, each with what it purges (the banner, D762)."""
    if period is None:
        return []
    purges = {e.name: e.description for e in clear_flags()}
    return [{"name": n, "purges": purges[n]} for n in flags_set(effective(period.clear_flags))]


def _counts(counts: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    return [
        {
            "segment": name,
            "by_action": [by_action.get(a, 0) for a in ACTIONS],
            "other": sum(n for a, n in by_action.items() if a not in ACTIONS),
            "total": sum(by_action.values()),
        }
        for name, by_action in counts.items()
    ]


def _students(plan: Plan, mask: Any, lang: str) -> list[dict[str, Any]]:
    """One entry per STUDENT row, in plan order, with its segment rows (rule ids with their
    titles in `lang`)."""
    rows = student_rows(plan)
    roots = plan.segments["STUDENT"].sort("_order", nulls_last=True)
    by_student: dict[str, list[dict[str, Any]]] = {}
    if rows.height:
        ordered = rows.sort("_student", "_rank", "_order", nulls_last=True)
        for (student,), part in ordered.partition_by("_student", as_dict=True).items():
            by_student[str(student)] = [
                {
                    "segment": s,
                    "action": a or "",
                    "reason": r or "",
                    "reason_title": reason_title(r, lang) or "",
                    "key": mask(k or ""),
                }
                for s, a, r, k in part.select("segment", "_action", "_reason", "_key").iter_rows()
            ]
    return [
        {
            "anchor": f"s{number}",
            "id": mask(str(student_id)),
            "oen": mask(str(oen or "")),
            "rows": by_student.get(str(student_id), []),
            "findings": [],
            "_match": [str(student_id), *([str(oen)] if oen and oen != MISSING_OEN else [])],
        }
        for number, (student_id, oen) in enumerate(roots.select("_id", "OEN").iter_rows(), 1)
    ]


def _student_of(found: Finding, ids: dict[str, str]) -> str | None:
    """The anchor of the student a finding is about (by its key, OEN or student_id)."""
    candidates = [str(found.params.get("student_id", "")), found.key or ""]
    candidates.append((found.key or "").split("|")[0])
    return next((ids[c] for c in candidates if c in ids), None)


def _finding_row(found: Finding, message: str, ids: dict[str, str], mask: Any) -> dict[str, Any]:
    return {
        "code": found.code,
        "severity": str(found.severity),
        "location": mask(found.location),
        "message": mask(getattr(found, message)),
        "anchor": _student_of(found, ids),
    }


def _groups(found: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Findings by code, errors first, then by code.

    The catalog's titles and hints are English only, so a French report heads each group
    with its first message instead.
    """
    entries = catalog()
    groups: dict[str, dict[str, Any]] = {}
    for row in found:
        entry = entries.get(row["code"])
        group = groups.setdefault(
            row["code"],
            {
                "code": row["code"],
                "severity": row["severity"],
                "title": entry.title if entry and lang == "en" else row["message"],
                "hint": entry.hint if entry and lang == "en" else "",
                "items": [],
            },
        )
        group["items"].append(row)
    rank = {"error": 0, "warning": 1, "info": 2}
    return sorted(groups.values(), key=lambda g: (rank.get(g["severity"], 3), g["code"]))


def _severities(found: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """How many findings of each severity, errors first (the verdict banner, the filter)."""
    order = ("error", "warning", "info")
    return [(s, n) for s in order if (n := sum(f["severity"] == s for f in found))]


def _override(applied: dict[str, Any], mask: Any) -> dict[str, Any]:
    changes = ", ".join(
        f"{c['element']}: {c['old'] or '∅'} → {c['new'] or '∅'}" for c in applied["changes"]
    )
    return {
        "segment": applied["segment"],
        "key": mask(str(applied["key"])),
        "changes": mask(changes),
        "reason": applied["reason"],
        "author": applied["author"],
        "expires": applied["expires"],
    }


def render_report(
    result: RunResult,
    options: ReportOptions,
    oens: set[str],
    created: datetime,
    preview: Preview | None = None,
) -> str:
    """The report page as HTML text."""
    return render("run_report.html", **report_data(result, options, oens, created, preview))


def write_run_report(
    result: RunResult, inputs: Inputs, out_dir: Path, options: ReportOptions, created: datetime
) -> Path | None:
    """Write the report beside the batch file (owner-only, atomic); None without a plan."""
    if not result.planned or result.period is None:
        return None
    frames = [inputs.tables["students"], *inputs.pae.get(result.bsid, {}).values()]
    oens = known_oens(frames)
    if result.plan is not None and "STUDENT" in result.plan.segments:
        oens |= known_oens([result.plan.segments["STUDENT"]], "OEN")
    path = report_path(result.output or out_dir / output_name(result.period))
    figures = None
    if result.output is not None:  # the written file, with the extracts it was planned against
        held = {result.bsid: inputs.pae.get(result.bsid, {})}
        figures = preview_of(result.output, read_batch(result.output), held)
    page = render_report(result, options, oens, created, figures)
    write_private(path, page.encode("utf-8"))
    return path
