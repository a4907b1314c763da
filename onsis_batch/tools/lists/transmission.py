"""The transmission status board: per school (BSID), the last batch file written to an
output folder, its verdict, and whether the results file OnSIS returned was imported.

Everything comes from files the tool wrote there (D875):

- `<file>.manifest.json` beside each batch file: BSID, period, year, when it was created,
  its finding counts; the newest per BSID (by `created`, then name) is its last file;
- `board-summary-*.json`: a BSID a board run left without a file, and that has no file of
  that period in the folder, is listed as nothing-written;
- `worklist-<BSID>.json` (`onsis-batch results --out`): the results file imported for the
  same period and year, and its errors still open (new or recurring).

A file that is not one of these (unreadable, another format) is left out with LST001.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.report.summary import VERDICTS

MANIFEST_FORMAT = "onsis-batch-manifest/1"
MANIFEST_SUFFIX = ".manifest.json"
BOARD_SUMMARY = "board-summary-*.json"
WORKLIST = "worklist-*.json"
COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "bsid": pl.String,
    "period": pl.String,
    "school_year": pl.String,
    "file": pl.String,
    "created": pl.String,
    "verdict": pl.String,
    "errors": pl.Int64,
    "warnings": pl.Int64,
    "results_file": pl.String,
    "open_errors": pl.Int64,
}


def recorded_verdict(record: Mapping[str, Any]) -> str:
    """The verdict of a manifest or a board summary's school entry.

    The record's own `verdict` when it carries a known one; otherwise from its finding
    counts (`findings.by_severity` of a manifest, `findings_by_severity` of a summary) and
    whether it names a file, as `report.summary.verdict` judges findings.
    """
    given = record.get("verdict")
    if isinstance(given, str) and given in VERDICTS:
        return given
    findings = record.get("findings")
    counts = record.get("findings_by_severity") or (
        findings.get("by_severity") if isinstance(findings, dict) else None
    )
    counts = counts if isinstance(counts, dict) else {}
    output = record.get("output")
    if not (output.get("path") if isinstance(output, dict) else output):
        return "nothing-written"
    if _count(counts, "error"):
        return "errors"
    return "warnings" if _count(counts, "warning") else "ready"


def _count(counts: Mapping[str, Any], severity: str) -> int:
    value = counts.get(severity)
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class Transmission:
    """The status board: one row per BSID (COLUMNS), and the files left out."""

    rows: pl.DataFrame
    findings: list[Finding]


def _readable(
    folder: Path, pattern: str, found: list[Finding]
) -> list[tuple[Path, dict[str, Any]]]:
    """(path, object) of each JSON file of `pattern`; LST001 for each one that cannot be read."""
    kept = []
    for path in sorted(folder.glob(pattern)):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as problem:
            found.append(finding("LST001", file=str(path), reason=str(problem)[:200]))
            continue
        if isinstance(data, dict):
            kept.append((path, data))
        else:
            found.append(finding("LST001", file=str(path), reason="it is not a JSON object"))
    return kept


def _manifest_rows(folder: Path, found: list[Finding]) -> list[dict[str, Any]]:
    rows = []
    for path, data in _readable(folder, f"*{MANIFEST_SUFFIX}", found):
        options = data.get("options")
        if data.get("format") != MANIFEST_FORMAT or not isinstance(options, dict):
            found.append(finding("LST001", file=str(path), reason="it is not a run manifest"))
            continue
        counts = (data.get("findings") or {}).get("by_severity") or {}
        rows.append(
            {
                "bsid": str(options.get("bsid") or ""),
                "kind": options.get("period"),
                "period": options.get("period_code"),
                "school_year": options.get("school_year"),
                "file": str((data.get("output") or {}).get("path") or ""),
                "created": str(data.get("created") or ""),
                "verdict": recorded_verdict(data),
                "errors": _count(counts, "error"),
                "warnings": _count(counts, "warning"),
            }
        )
    return rows


def _unwritten_rows(folder: Path, found: list[Finding]) -> list[dict[str, Any]]:
    """BSIDs a board run left without a file, from the board summaries."""
    rows = []
    for path, data in _readable(folder, BOARD_SUMMARY, found):
        schools, period = data.get("schools"), data.get("period")
        if data.get("command") != "board" or not isinstance(schools, list):
            found.append(finding("LST001", file=str(path), reason="it is not a board summary"))
            continue
        period = period if isinstance(period, dict) else {}
        for school in (s for s in schools if isinstance(s, dict) and not s.get("output")):
            counts = school.get("findings_by_severity") or {}
            rows.append(
                {
                    "bsid": str(school.get("bsid") or ""),
                    "kind": period.get("short"),
                    "period": period.get("code"),
                    "school_year": data.get("school_year"),
                    "file": "",
                    "created": "",
                    "verdict": "nothing-written",
                    "errors": _count(counts, "error"),
                    "warnings": _count(counts, "warning"),
                }
            )
    return rows


def _results(folder: Path, found: list[Finding]) -> dict[tuple[str, str, str], tuple[str, int]]:
    """(BSID, period code, year) -> (results file, open errors) from the work lists."""
    imported = {}
    for path, data in _readable(folder, WORKLIST, found):
        errors = data.get("errors")
        if not isinstance(errors, list) or not isinstance(data.get("schools"), list):
            found.append(finding("LST001", file=str(path), reason="it is not a results work list"))
            continue
        period = data.get("period")
        code = period.get("code") if isinstance(period, dict) else period
        for bsid in data["schools"]:
            still_open = [
                e
                for e in errors
                if isinstance(e, dict)
                and e.get("school") in (bsid, "")
                and e.get("status") != "resolved"
            ]
            key = (str(bsid), str(code), str(data.get("school_year")))
            imported[key] = (str(data.get("file") or path.name), len(still_open))
    return imported


def transmission_status(
    out_dir: Path,
    *,
    results_dir: Path | None = None,
    kind: str | None = None,
    school_year: str | None = None,
) -> Transmission:
    """The status board of `out_dir`, for one period (`kind`, `school_year`) or all.

    `results_dir`: where `results --out` wrote its work lists (default `out_dir`).
    """
    found: list[Finding] = []
    files = _manifest_rows(out_dir, found)
    with_file = {(r["bsid"], r["period"], r["school_year"]) for r in files}
    unwritten = [
        r
        for r in _unwritten_rows(out_dir, found)
        if (r["bsid"], r["period"], r["school_year"]) not in with_file
    ]
    rows = [
        r
        for r in files + unwritten
        if (kind is None or r["kind"] == kind)
        and (school_year is None or r["school_year"] == school_year)
    ]
    imported = _results(results_dir or out_dir, found)
    for row in rows:
        results_file, still_open = imported.get(
            (row["bsid"], row["period"], row["school_year"]), (None, None)
        )
        row |= {"results_file": results_file, "open_errors": still_open}
    frame = pl.from_dicts(rows, schema=COLUMNS) if rows else pl.DataFrame(schema=COLUMNS)
    last = frame.sort("bsid", "created", "file").group_by("bsid", maintain_order=True).last()
    return Transmission(last.select(list(COLUMNS)), found)
