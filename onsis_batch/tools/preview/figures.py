"""The figures of a batch file, as OnSIS would hold them once the file is loaded.

A segment's rows after the upload are the file's rows (a DELETE removes its row), and,
when the PAE is given and the segment has an extract (`figures.yaml`, `held`), the rows
OnSIS already holds that the file does not name, unless the file's CLEAR_* flag for that
area is Y (OnSIS then purges them before loading). Each figure says which it used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from onsis_batch.errors import InputError
from onsis_batch.findings import Finding, has_errors
from onsis_batch.plan.keys import as_text
from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, Shape, read_yaml
from onsis_batch.tools.diff_pae import read_batch_pae
from onsis_batch.tools.records import Batch, NotABatchFile, batch_findings, read_batch
from onsis_batch.validate.batch_file import hardened_parser

_FIGURE: Shape = {
    "en": None,
    "fr": None,
    "count": None,
    "sum": None,
    "by": None,
    "still_enrolled": None,
}
_HELD: Shape = {"extract": None, "match": None, "clear": None, "columns": None}
_SHAPE: Shape = {"figures": {ANY_KEY: _FIGURE}, "held": {ANY_KEY: _HELD}}
_OEN = re.compile(r"^OEN=([^ ,/]*)")
END_DATE = "ENROLMENT_END_DATE"
TOTAL = "total"


@cache
def declared() -> dict[str, Any]:
    """figures.yaml: the figures and what OnSIS holds per segment."""
    data: dict[str, Any] = read_yaml(package_file("tools", "preview", "figures.yaml"), _SHAPE)
    return data


@dataclass(frozen=True)
class Figure:
    """One figure: its rows (segment, group, measure, value) and where its rows came from."""

    name: str
    title_en: str
    title_fr: str
    sources: list[str]  # per segment: "file", "file + PAE 0003", "file (CLEAR_... Y)"
    rows: list[dict[str, Any]]

    def title(self, lang: str) -> str:
        """The figure's title in `lang`."""
        return self.title_fr if lang == "fr" else self.title_en


@dataclass(frozen=True)
class Preview:
    """The figures of one batch file."""

    file: str
    schools: list[str]
    period: str
    school_year: str
    pae: str | None
    clear_flags: dict[str, str]
    figures: list[Figure]
    findings: list[Finding] = field(default_factory=list)


def clear_flags(path: Path) -> dict[str, str]:
    """The CLEAR_* flags of the file's (first) SCHOOL element."""
    root = etree.parse(str(path), hardened_parser()).getroot()
    school = root.find("DATA/SCHOOL_SUBMISSION/SCHOOL")
    if school is None:
        return {}
    return {
        str(e.tag): (e.text or "").strip()
        for e in school
        if isinstance(e.tag, str) and e.tag.startswith("CLEAR_")
    }


def _normal(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().str.to_uppercase().fill_null("")


def _file_rows(batch: Batch, segment: str, match: list[str]) -> pl.DataFrame:
    """The file's rows of `segment` with `OEN` (from the key path) and a match key."""
    frame = batch.frames.get(segment)
    if frame is None:
        return pl.DataFrame(schema={"_action": pl.String, "_match": pl.String})
    frame = frame.with_columns(pl.col("_key").str.extract(_OEN.pattern, 1).alias("OEN"))
    return frame.with_columns(
        pl.concat_str([_normal(pl.col(m)) for m in match], separator="|").alias("_match")
    )


def _held_rows(extract: pl.DataFrame, rule: dict[str, Any], elements: list[str]) -> pl.DataFrame:
    """An extract's rows as text columns named like the segment's elements."""
    wanted = list(dict.fromkeys([*rule["match"], *elements]))
    columns = rule["columns"] or {}
    texts = [
        as_text(columns.get(e, e.lower()), extract.schema[columns.get(e, e.lower())]).alias(e)
        for e in wanted
        if columns.get(e, e.lower()) in extract.columns
    ]
    frame = extract.select(texts)
    match = [_normal(pl.col(m)) for m in rule["match"]]
    return frame.with_columns(pl.concat_str(match, separator="|").alias("_match"))


def segment_rows(
    batch: Batch,
    segment: str,
    elements: list[str],
    held: dict[str, dict[str, pl.DataFrame]] | None,
    flags: dict[str, str],
) -> tuple[pl.DataFrame, str]:
    """The rows of `segment` after the upload (see the module docstring) and their source."""
    rule = declared()["held"].get(segment)
    match = rule["match"] if rule else ["OEN"]
    file_rows = _file_rows(batch, segment, match)
    kept = file_rows.filter(pl.col("_action").fill_null("") != "DELETE")
    if rule is None or held is None:
        return kept, "file"
    if rule["clear"] and flags.get(rule["clear"]) == "Y":
        return kept, f"file ({rule['clear']} Y)"
    held_frames = [
        _held_rows(extracts[rule["extract"]], rule, elements)
        for extracts in held.values()
        if rule["extract"] in extracts
    ]
    if not held_frames:
        return kept, "file"
    untouched = pl.concat(held_frames, how="diagonal_relaxed").join(
        file_rows.select("_match"), on="_match", how="anti"
    )
    return pl.concat([kept, untouched], how="diagonal_relaxed"), f"file + PAE {rule['extract']}"


def _order(label: str) -> tuple[int, int, str]:
    """Grades in their order (9 before 10), then other labels, the total last."""
    if label == TOTAL:
        return (2, 0, "")
    first = label.split(" ")[0]
    return (0, int(first), label) if first.isdigit() else (1, 0, label)


def _grouped(frame: pl.DataFrame, by: list[str], value: pl.Expr) -> list[tuple[str, Any]]:
    """(group label, value) per group of `by`, and the total when grouped."""
    if frame.is_empty():
        return []
    missing = [pl.lit("").alias(b) for b in by if b not in frame.columns]
    frame = frame.with_columns(missing) if missing else frame
    rows = []
    if by:
        label = pl.concat_str([_normal(pl.col(b)) for b in by], separator=" ").alias("_label")
        groups = frame.group_by(label).agg(value.alias("_value"))
        rows = [(str(k).strip() or "-", v) for k, v in groups.iter_rows()]
    total = frame.select(value).item()
    return [*sorted(rows, key=lambda r: _order(r[0])), (TOTAL, total)]


def figure(
    name: str,
    batch: Batch,
    held: dict[str, dict[str, pl.DataFrame]] | None,
    flags: dict[str, str],
) -> Figure:
    """One figure of figures.yaml for the batch file."""
    spec = declared()["figures"][name]
    by = list(spec["by"])
    measures = {spec["count"]: []} if spec.get("count") else dict(spec["sum"])
    rows, sources = [], []
    for segment, elements in measures.items():
        frame, source = segment_rows(batch, segment, [*by, *elements, END_DATE], held, flags)
        sources.append(f"{segment}: {source}")
        if spec["still_enrolled"]:
            still = (
                pl.col(END_DATE).fill_null("") == "" if END_DATE in frame.columns else pl.lit(True)
            )
            frame = frame.filter(still)
        if not elements:
            rows += [_row(segment, g, "rows", v) for g, v in _grouped(frame, by, pl.len())]
        for element in elements:
            value = (
                pl.col(element).cast(pl.Float64, strict=False).sum().round(2)
                if element in frame.columns
                else pl.lit(0.0)
            )
            rows += [_row(segment, g, element, v) for g, v in _grouped(frame, by, value)]
    return Figure(name, spec["en"], spec["fr"], sources, rows)


def _row(segment: str, group: str, measure: str, value: Any) -> dict[str, Any]:
    return {"segment": segment, "group": group, "measure": measure, "value": value}


def read_file(path: Path, code: str = "LST002") -> Batch:
    """The batch file's records; InputError (`code`) when it is not a batch file."""
    try:
        return read_batch(path)
    except NotABatchFile as problem:
        raise InputError(batch_findings(problem, code)) from None


def preview(path: Path, pae_dir: Path | None = None) -> Preview:
    """The figures of the batch file at `path`, with the PAE in `pae_dir` when given.

    InputError when the file is not a batch file or the extracts have errors.
    """
    batch = read_file(path)
    held, findings = None, []
    if pae_dir is not None:
        pae = read_batch_pae(batch, pae_dir)
        findings = list(pae.findings)
        if has_errors(findings):
            raise InputError(findings)
        held = {bsid: pae.for_bsid(bsid) for bsid in batch.schools}
    return preview_of(path, batch, held, str(pae_dir) if pae_dir else None, findings)


def preview_of(
    path: Path,
    batch: Batch,
    held: dict[str, dict[str, pl.DataFrame]] | None,
    pae: str | None = None,
    findings: list[Finding] | None = None,
) -> Preview:
    """The figures of a batch file already read, with the extracts OnSIS holds per BSID
    when known (a run's report passes the extracts it planned against)."""
    flags = clear_flags(path)
    return Preview(
        file=str(path),
        schools=batch.schools,
        period=batch.period_code,
        school_year=batch.school_year,
        pae=pae,
        clear_flags=flags,
        figures=[figure(name, batch, held, flags) for name in declared()["figures"]],
        findings=findings or [],
    )
