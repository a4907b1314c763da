"""`onsis-batch explain`: build the plan in memory (nothing written) and explain a record.

The plan is built exactly as `generate` builds it (same loading, period, builders and
overrides), so the explanation is the one of the file `generate` would write. OENs other
than the one asked about are masked unless `--show-pii` (D281).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from onsis_batch.findings import finding, has_errors
from onsis_batch.plan.overrides import OverrideSet
from onsis_batch.report.explain import Subject, explain, reason_text
from onsis_batch.report.masking import known_oens, mask_data, text_masker
from onsis_batch.resources import language_labels
from onsis_batch.run.pipeline import RunOptions, load_inputs
from onsis_batch.run.slicing import tables_for_bsid
from onsis_batch.segments.build import build_plan
from onsis_batch.segments.context import SegmentContext
from onsis_batch.sources import DataSource

LISTED = 12  # row numbers per table on one text line


@cache
def labels(lang: str) -> dict[str, str]:
    """The report and explain labels of one language (`en` or `fr`)."""
    return {str(k): str(v) for k, v in language_labels("report/labels.yaml", lang).items()}


@dataclass(frozen=True)
class ExplainRequest:
    data_dir: Path | str | DataSource  # folder, database URI or DataSource
    pae_dir: Path | None
    bsid: str
    kind: str
    school_year: str
    subject: Subject
    private: bool = False
    options: RunOptions | None = None
    overrides_file: Path | None = None
    show_pii: bool = False
    today: date | None = None  # overrides expire against this day (default: today)


def run_explain(request: ExplainRequest) -> dict[str, Any]:
    """The explanation of the request's record; InputError when the inputs are unusable."""
    inputs, periods = load_inputs(
        request.data_dir,
        request.pae_dir,
        kind=request.kind,
        school_year=request.school_year,
        bsids=[request.bsid],
        private=request.private,
        options=request.options,
    )
    period = periods[request.bsid]
    pae = inputs.pae[request.bsid]
    ctx = SegmentContext(period=period, tables=tables_for_bsid(inputs.tables, period, pae), pae=pae)
    plan, found = build_plan(ctx)
    findings = [*inputs.findings, *found]
    if request.overrides_file is not None and not has_errors(found):
        overrides = OverrideSet.load(request.overrides_file)
        plan, _, applied = overrides.apply(plan, request.today or date.today())
        findings += applied
    data = explain(ctx, plan, findings, request.subject, show_pii=request.show_pii)
    if not data["found"]:
        data["findings"].append(
            finding("EXP001", kind=request.subject.kind, value=request.subject.normal).to_dict()
        )
    if request.show_pii:
        return data
    oens = known_oens([ctx.tables["students"], *ctx.pae.values()])
    oens |= known_oens([plan.segments.get("STUDENT", ctx.tables["students"])], "OEN")
    keep = request.subject.normal if request.subject.kind == "oen" else None
    return mask_data(data, text_masker(oens, keep))


def _rows_line(name: str, block: dict[str, Any]) -> list[str]:
    lines = [f"  {name} ({block['total']}):"]
    for row in block["rows"]:
        cells = " ".join(f"{c}={v}" for c, v in zip(block["columns"], row, strict=True) if v)
        lines.append(f"    {cells}")
    return lines


def explain_text(data: dict[str, Any], lang: str = "en") -> str:
    """The explanation for people, one block per segment."""
    t = labels(lang)
    subject = data["subject"]
    lines = [
        f"{t['explain_title']}: {subject['kind'].upper()} {subject['value']} "
        f"({data['period']} {data['school_year']}, BSID {data['bsid']})"
    ]
    if not data["found"]:
        lines.append(t["not_found"])
    for seg in data["segments"]:
        if seg["sent"]:
            lines.append(f"{seg['segment']}: {t['sent']}")
            for row in seg["rows"]:
                lines.append(f"  {row['action'] or '-':<7} {reason_text(row, lang)} · {row['key']}")
        else:
            why = seg["why_not"]
            lines.append(f"{seg['segment']}: {t['not_sent']} ({why}: {t[why]})")
        for table, rows in seg["input_rows"].items():
            more = f" (+{len(rows) - LISTED} {t['more']})" if len(rows) > LISTED else ""
            listed = ", ".join(map(str, rows[:LISTED]))
            lines.append(f"  {t['input_rows']} {table}: {listed}{more}")
        if seg["pae_rows"]:
            held = {None: "?", "held": t["pae_status_held"], "sent": t["sent"]}
            shown = [f"{r['row']} ({held.get(r['status'], r['status'])})" for r in seg["pae_rows"]]
            lines.append(f"  {t['pae_rows']} {seg['pae_extract']}: {', '.join(shown)}")
    message = "message_fr" if lang == "fr" else "message_en"
    if data["findings"]:
        lines.append(f"{t['findings']}:")
        lines += [f"  {f['severity'].upper()} {f['code']}: {f[message]}" for f in data["findings"]]
    if data["inputs"]:
        lines.append(f"{t['input_rows']}:")
        for name, block in data["inputs"].items():
            lines += _rows_line(name, block)
    if data["pae"]:
        lines.append(f"{t['pae_rows']}:")
        for number, block in data["pae"].items():
            lines += _rows_line(number, block)
    return "\n".join(lines)
