"""Renderers of a diff: plain text, a JSON-ready dict, and one self-contained HTML page."""

from __future__ import annotations

from typing import Any

from onsis_batch.tools.diff import DiffResult
from onsis_batch.tools.html import render

SYMBOL = {
    "added": "+",
    "removed": "-",
    "changed": "~",
    "add": "+",
    "add-existing": "!",
    "update": "~",
    "update-missing": "!",
    "delete": "-",
    "delete-missing": "!",
}
MEANING = {
    "added": "only in the new file",
    "removed": "only in the old file",
    "changed": "in both files, with different values",
    "add": "new to OnSIS",
    "add-existing": "sent as ADD but OnSIS already holds the key",
    "update": "OnSIS values that will change",
    "update-missing": "sent as UPDATE but OnSIS holds no such record",
    "delete": "removed from OnSIS",
    "delete-missing": "sent as DELETE but OnSIS holds no such record",
    "same": "identical in both files",
    "no-change": "sent, but OnSIS already holds these values",
    "untouched": "held by OnSIS and not in the file",
}


def diff_dict(result: DiffResult) -> dict[str, Any]:
    return {
        "mode": result.mode,
        "old": result.left,
        "new": result.right,
        "school_year": result.school_year,
        "period": result.period_code,
        "schools": result.schools,
        "counts": result.counts,
        "not_compared": result.not_compared,
        "changes": result.changes.to_dicts(),
        "findings": [f.to_dict() for f in result.findings],
    }


def _values(elements: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['name']} {_shown(e['old'])} → {_shown(e['new'])}" for e in elements)


def _shown(value: str | None) -> str:
    return "(empty)" if value is None else value


def diff_text(result: DiffResult) -> str:
    title = "OnSIS Pending Area → file" if result.mode == "pae" else "old → new"
    lines = [
        f"{title}: {result.left} → {result.right}",
        f"{result.period_code} {result.school_year}, school(s) {', '.join(result.schools)}",
    ]
    for segment, counts in result.counts.items():
        cells = ", ".join(f"{n} {change}" for change, n in counts.items())
        lines.append(f"  {segment}: {cells}")
    for segment, reason in result.not_compared.items():
        lines.append(f"  {segment}: not compared ({reason})")
    lines += [f"  {f}" for f in result.findings]
    for row in result.changes.iter_rows(named=True):
        action = row["new_action"] or row["old_action"] or ""
        head = f"{SYMBOL.get(row['change'], '?')} {row['segment']} {row['key']}"
        head += f" [{row['change']}{', ' + action if action else ''}]"
        if row["change"] in ("changed", "update"):
            head += f": {_values(row['elements'])}"
        lines.append(head)
    if not result.differs:
        lines.append("no differences")
    return "\n".join(lines)


def diff_html(result: DiffResult) -> str:
    return render(
        "diff.html",
        result=diff_dict(result),
        symbol=SYMBOL,
        meaning=MEANING,
    )
