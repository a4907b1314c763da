"""`onsis-batch explain` for people and machines: one record of a plan, masked, as data and text.

The run layer plans the BSID as `generate` does (`run.pipeline.explain_record`) and hands
the plan here; this module only explains and renders it. OENs other than the one asked
about are masked unless `--show-pii` (D281).
"""

from __future__ import annotations

from typing import Any

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.model import Plan
from onsis_batch.reasons import reason_title
from onsis_batch.report.explain import Subject, explain, reason_text
from onsis_batch.report.i18n import labels as labels  # the home of the labels
from onsis_batch.report.masking import known_oens, mask_data, text_masker
from onsis_batch.segments.context import SegmentContext

LISTED = 12  # row numbers per table on one text line


def explanation(
    ctx: SegmentContext,
    plan: Plan,
    findings: list[Finding],
    subject: Subject,
    *,
    show_pii: bool = False,
) -> dict[str, Any]:
    """The explanation of one record of a plan: EXP001 when the plan does not know it, and
    every OEN but the one asked about masked unless `show_pii` (D281)."""
    data = explain(ctx, plan, findings, subject, show_pii=show_pii)
    if not data["found"]:
        data["findings"].append(
            finding("EXP001", kind=subject.kind, value=subject.normal).to_dict()
        )
    if show_pii:
        return data
    oens = known_oens([ctx.tables["students"], *ctx.pae.values()])
    oens |= known_oens([plan.segments.get("STUDENT", ctx.tables["students"])], "OEN")
    keep = subject.normal if subject.kind == "oen" else None
    masked: dict[str, Any] = mask_data(data, text_masker(oens, keep))
    return masked


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
            title = t.get(why) or reason_title(why, lang)
            lines.append(f"{seg['segment']}: {t['not_sent']} ({why}: {title})")
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
        lines += [
            f"  {t['severity_' + f['severity']]} {f['code']}: {f[message]}"
            for f in data["findings"]
        ]
    if data["inputs"]:
        lines.append(f"{t['input_rows']}:")
        for name, block in data["inputs"].items():
            lines += _rows_line(name, block)
    if data["pae"]:
        lines.append(f"{t['pae_rows']}:")
        for number, block in data["pae"].items():
            lines += _rows_line(number, block)
    return "\n".join(lines)
