"""Work lists of an imported results file: CSV for Excel, JSON, and one HTML page.

Excel drops leading zeros from anything that looks like a number (OEN 012345678 becomes
12345678) and reads a cell starting with `=`, `+`, `-` or `@` as a formula. So the CSV is
UTF-8 with a byte-order mark (Excel then reads the French accents right), identifier
cells are written as the text formula `="012345678"`, which Excel shows as the text
012345678, and other cells that could start a formula get a leading apostrophe. The JSON
keeps the plain values for programs.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.render.publish import file_in, write_private
from onsis_batch.report.i18n import finding_line, plural
from onsis_batch.report.masking import known_oens, mask_data, text_masker
from onsis_batch.report.page import render
from onsis_batch.resources import language_labels
from onsis_batch.tools.results import ResultsImport

COLUMNS = (
    "status",
    "level",
    "segment",
    "oen",
    "class_code",
    "men",
    "key",
    "field_name",
    "field_value",
    "message_code",
    "message",
    "folded",
    "folded_segments",
    "source_rows",
    "line",
)
IDENTIFIERS = {"oen", "class_code", "men", "field_value", "key"}
EXCEL_TEXT_LIMIT = 255  # a longer string literal is refused inside an Excel formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_cell(value: Any, identifier: bool) -> str:
    """A CSV cell Excel shows exactly as written (see the module docstring)."""
    if value is None:
        return ""
    text = str(value)
    if identifier and text and len(text) <= EXCEL_TEXT_LIMIT:
        return '="' + text.replace('"', '""') + '"'
    return "'" + text if text.startswith(_FORMULA_START) else text


def _rows(errors: pl.DataFrame, lang: str) -> list[dict[str, Any]]:
    message = "f_message" if lang == "fr" else "e_message"
    return errors.with_columns(pl.col(message).alias("message")).select(COLUMNS).to_dicts()


def worklist_csv(errors: pl.DataFrame, lang: str = "en") -> str:
    """A work list as CSV text that Excel opens as it is (D204)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(errors, lang):
        writer.writerow([excel_cell(row[c], c in IDENTIFIERS) for c in COLUMNS])
    return "\ufeff" + out.getvalue()


def results_dict(imported: ResultsImport) -> dict[str, Any]:
    """The imported results as JSON-ready data: counts per school and status, errors."""
    counts = imported.errors.group_by("school", "status").len().sort("school", "status")
    summary: dict[str, dict[str, int]] = {}
    for school, status, n in counts.iter_rows():
        summary.setdefault(school, {})[status] = n
    return {
        "file": imported.path,
        "previous": imported.previous,
        "school_year": imported.school_year,
        "period": imported.period_code,
        "schools": imported.schools,
        "counts": summary,
        "errors": imported.errors.drop("ancestors", "owner").to_dicts(),
        "findings": [f.to_dict() for f in imported.findings],
    }


def results_labels(lang: str = "en") -> dict[str, Any]:
    """The words of the results text and work lists in `lang`, from results_labels.yaml."""
    return language_labels("tools/results_labels.yaml", lang)


def results_text(imported: ResultsImport, lang: str = "en") -> str:
    """The imported results for people, in `lang`."""
    words = results_labels(lang)
    status = words["statuses"]
    lines = [f"{imported.path}: {imported.period_code} {imported.school_year}"]
    if imported.previous:
        lines.append(f"{words['compared_with']} {imported.previous}")
    lines += [f"  {finding_line(f, lang)}" for f in imported.findings]
    counted = words["counted_statuses"]
    for school, counts in results_dict(imported)["counts"].items():
        label = f"{words['school']} {school}" if school else words["whole_file"]
        lines.append(
            f"{label}: " + ", ".join(plural(lang, counted[s], n) for s, n in counts.items())
        )
    for row in _rows(imported.errors, lang):
        where = row["key"] or words["levels"].get(row["level"], row["level"])
        folded = f" (+{row['folded']} {words['below']})" if row["folded"] else ""
        lines.append(
            f"  {status[row['status']]:<10} {row['segment']} {where}: {row['field_name']} "
            f"[{row['message_code']}] {row['message']}{folded}"
        )
    if imported.errors.is_empty():
        lines.append(words["no_errors"])
    return "\n".join(lines)


def page_rows(errors: pl.DataFrame, lang: str, show_pii: bool) -> list[dict[str, Any]]:
    """The rows of the HTML work list: every OEN masked unless `show_pii` (the CSV and
    JSON keep them whole: they are the lists a registrar corrects the school data from)."""
    rows = _rows(errors, lang)
    if show_pii:
        return rows
    keys = " ".join(str(row["key"]) for row in rows)
    oens = known_oens([errors]) | set(re.findall(r"OEN=(\d{9})\b", keys))
    masked: list[dict[str, Any]] = mask_data(rows, text_masker(oens))
    return masked


def write_worklists(
    imported: ResultsImport, out_dir: Path, lang: str = "en", show_pii: bool = False
) -> list[Path]:
    """`worklist-<BSID>.csv`, `.json` and `.html` for each school of the results file."""
    import json

    written = []
    for bsid in sorted(imported.schools) or [""]:
        errors = imported.for_school(bsid)
        name = f"worklist-{bsid or 'file'}"
        files = [file_in(out_dir, f"{name}{suffix}") for suffix in (".csv", ".json", ".html")]
        data = results_dict(imported) | {"schools": [bsid]}
        data["errors"] = errors.drop("ancestors", "owner").to_dicts()
        page = render(
            "worklist.html",
            data=data,
            rows=page_rows(errors, lang, show_pii),
            lang=lang,
            bsid=bsid,
            words=results_labels(lang),
        )
        texts = [
            worklist_csv(errors, lang),
            json.dumps(data, indent=2, ensure_ascii=False, default=str),
            page,
        ]
        written += [write_private(path, text) for path, text in zip(files, texts, strict=True)]
    return written
