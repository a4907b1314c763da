"""Renderers of a diff: plain text, a JSON-ready dict, and one self-contained HTML page."""

from __future__ import annotations

import re
from typing import Any

from onsis_batch.findings import Finding
from onsis_batch.report.i18n import plural, retold, severity_word
from onsis_batch.report.masking import mask_data, text_masker
from onsis_batch.report.page import render
from onsis_batch.resources import language_labels
from onsis_batch.tools.diff import DiffResult

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


def diff_labels(lang: str = "en") -> dict[str, Any]:
    """The labels of diff output in `lang` (en or fr), from diff_labels.yaml."""
    return language_labels("tools/diff_labels.yaml", lang)


def diff_dict(result: DiffResult) -> dict[str, Any]:
    """The diff as JSON-ready data: counts, changes, segments not compared, findings."""
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


def _values(elements: list[dict[str, Any]], empty: str) -> str:
    def shown(value: str | None) -> str:
        return empty if value is None else value

    return "; ".join(f"{e['name']} {shown(e['old'])} → {shown(e['new'])}" for e in elements)


def diff_text(result: DiffResult, lang: str = "en") -> str:
    """The diff for people, in `lang`."""
    labels = diff_labels(lang)
    title = labels["arrow_pae"] if result.mode == "pae" else labels["arrow_files"]
    schools = ", ".join(result.schools)
    named = plural(lang, labels["schools_named"], len(result.schools))
    lines = [
        f"{title}: {result.left} → {result.right}",
        f"{result.period_code} {result.school_year}, {named} {schools}",
    ]
    for segment, counts in result.counts.items():
        cells = ", ".join(
            plural(lang, labels["counted"][change], n) for change, n in counts.items()
        )
        lines.append(f"  {segment}: {cells}")
    for segment, reason in result.not_compared.items():
        why = retold(
            reason, diff_labels("en")["not_compared_reasons"], labels["not_compared_reasons"]
        )
        lines.append(f"  {segment}: {labels['not_compared_short']} ({why})")
    lines += [
        f"  {severity_word(lang, f.severity)} {f.code}: {_message(f, lang)}"
        for f in result.findings
    ]
    for row in result.changes.iter_rows(named=True):
        action = row["new_action"] or row["old_action"] or ""
        # the school on every line: keys repeat across the schools of a board file
        head = f"{SYMBOL.get(row['change'], '?')} {row['school']} {row['segment']} {row['key']}"
        head += f" [{labels['change_names'][row['change']]}{', ' + action if action else ''}]"
        if row["change"] in ("changed", "update"):
            head += f": {_values(row['elements'], labels['empty'])}"
        lines.append(head)
    if not result.differs:
        lines.append(labels["no_differences"])
    return "\n".join(lines)


def _message(item: Finding, lang: str) -> str:
    return item.message_fr if lang == "fr" else item.message_en


def diff_oens(data: dict[str, Any]) -> set[str]:
    """The OENs of a diff: in its key paths (`OEN=…`) and the values of its OEN elements."""
    found = set(re.findall(r"OEN=(\d{9})\b", str([c["key"] for c in data["changes"]])))
    for change in data["changes"]:
        for element in change["elements"] or []:
            if element["name"] == "OEN":
                found |= {v for v in (element["old"], element["new"]) if v}
    return found


def diff_html(result: DiffResult, lang: str = "en", *, show_pii: bool = False) -> str:
    """The diff as one self-contained HTML page, in `lang`, OENs masked unless `show_pii`."""
    data = diff_dict(result)
    for item, found in zip(data["findings"], result.findings, strict=True):
        item["message"] = _message(found, lang)
    if not show_pii:
        data = mask_data(data, text_masker(diff_oens(data)))
    return render("diff.html", result=data, symbol=SYMBOL, labels=diff_labels(lang), lang=lang)
