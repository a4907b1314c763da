"""A list as people and programs read it: CSV for Excel, one HTML page, JSON, text.

The CSV is written as the results work lists are (D204): UTF-8 with a byte-order mark,
identifier cells (OENs, BSIDs, class codes: `rules.yaml` names them) as the text formula
`="00123"` so Excel keeps their leading zeros, other cells that could start a formula
behind an apostrophe. Column headers are the column ids (stable for formulas); the HTML
page and the terminal show them in the chosen language. Unless `show_pii`, OENs show their
last three digits and the personal columns (names) are left out everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.render.publish import file_in, write_private
from onsis_batch.report.explain_view import labels
from onsis_batch.report.masking import mask_oen
from onsis_batch.report.page import render
from onsis_batch.tools.lists.rules import ListRule, identifier_columns, personal_columns
from onsis_batch.tools.worklist import excel_cell

SHOWN_ROWS = 40  # rows the terminal shows; the files hold them all


@dataclass(frozen=True)
class ListResult:
    """One list as computed: its rule, what it covers, its rows and findings."""

    rule: ListRule
    rows: pl.DataFrame
    scope: dict[str, Any]  # period (code), school_year, count_date, bsids, out folder...
    findings: list[Finding] = field(default_factory=list)


def shown_rows(result: ListResult, show_pii: bool, as_text: bool = True) -> list[dict[str, Any]]:
    """The rows as text (or, not `as_text`, JSON values: numbers stay numbers), OENs
    masked and personal columns left out unless `show_pii`."""
    convert = _text if as_text else _plain
    rows = []
    for row in result.rows.to_dicts():
        shown = {c: convert(v) for c, v in row.items() if show_pii or c not in personal_columns()}
        if not show_pii and shown.get("oen"):
            shown["oen"] = mask_oen(shown["oen"])
        rows.append(shown)
    return rows


def shown_columns(result: ListResult, show_pii: bool) -> list[str]:
    """The columns shown, in the rule's order."""
    return [c for c in result.rule.columns if show_pii or c not in personal_columns()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def list_csv(result: ListResult, show_pii: bool = False) -> str:
    """The list as CSV text that Excel opens as written."""
    columns = shown_columns(result, show_pii)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in shown_rows(result, show_pii):
        writer.writerow([excel_cell(row[c], c in identifier_columns()) for c in columns])
    return "\ufeff" + out.getvalue()


def list_html(result: ListResult, lang: str = "en", show_pii: bool = False) -> str:
    """The list as one self-contained HTML page in `lang`."""
    words = labels(lang)
    columns = shown_columns(result, show_pii)
    return render(
        "lists.html",
        lang=lang,
        words=words,
        rule=result.rule,
        description=result.rule.description(lang),
        scope=result.scope,
        headers=[words.get(f"list_col_{c}", c) for c in columns],
        columns=columns,
        rows=shown_rows(result, show_pii),
        findings=[f.message_fr if lang == "fr" else f.message_en for f in result.findings],
        masked=not show_pii and "oen" in columns,
    )


def list_dict(result: ListResult, lang: str = "en", show_pii: bool = False) -> dict[str, Any]:
    """The list as JSON-ready data (`lists --json`)."""
    return {
        "list": result.rule.name,
        "description": result.rule.description(lang),
        "rule": result.rule.rule,
        **result.scope,
        "columns": shown_columns(result, show_pii),
        "count": result.rows.height,
        "rows": shown_rows(result, show_pii, as_text=False),
        "findings": [f.to_dict() for f in result.findings],
    }


def list_text(result: ListResult, lang: str = "en", show_pii: bool = False) -> str:
    """The list for the terminal: what it is, its count, its first rows as a table."""
    words = labels(lang)
    columns = shown_columns(result, show_pii)
    rows = shown_rows(result, show_pii)
    lines = [f"{result.rule.name}: {result.rule.description(lang)}"]
    lines.append(", ".join(f"{words.get('list_' + k, k)} {v}" for k, v in _scope_shown(result)))
    lines += [f"  {f}" for f in result.findings]
    lines.append(f"{words['list_rows']}: {len(rows)}")
    if rows:
        headers = [words.get(f"list_col_{c}", c) for c in columns]
        table = [headers] + [[_shown(words, c, r[c]) for c in columns] for r in rows[:SHOWN_ROWS]]
        widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
        lines += [
            "  " + "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            for line in table
        ]
        if len(rows) > SHOWN_ROWS:
            lines.append(f"  ... {len(rows) - SHOWN_ROWS} {words['summary_more']}")
    if not show_pii and "oen" in columns:
        lines.append(words["masked_note"])
    return "\n".join(lines)


def _shown(words: dict[str, str], column: str, value: str) -> str:
    """A cell for the terminal: a verdict in the chosen language, other values as they are."""
    return words.get(f"verdict_{value}", value) if column == "verdict" else value


def _scope_shown(result: ListResult) -> list[tuple[str, str]]:
    scope = result.scope
    pairs = [(k, scope.get(k)) for k in ("period", "school_year", "count_date")]
    pairs.append(("bsids", ", ".join(scope.get("bsids") or [])))
    return [(k, str(v)) for k, v in pairs if v]


def write_list(
    result: ListResult, out_dir: Path, name: str, lang: str = "en", show_pii: bool = False
) -> list[Path]:
    """`<name>.csv` and `<name>.html` in `out_dir`, owner-only; their paths."""
    texts = {".csv": list_csv(result, show_pii), ".html": list_html(result, lang, show_pii)}
    return [write_private(file_in(out_dir, name + suffix), text) for suffix, text in texts.items()]


def lists_dict(rules: dict[str, ListRule], lang: str = "en") -> dict[str, Any]:
    """The lists `onsis-batch lists` knows, for --json."""
    return {"lists": [{"name": r.name, "description": r.description(lang)} for r in rules.values()]}


def dumped(data: Any) -> str:
    """JSON text as the tool writes it."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
