"""Import the results file OnSIS returns for a batch (`.OUT`) and make a work list of it.

The results file echoes the batch under `ONSIS_BATCH_FILE_RESULT`; any element may carry
`DATA_ERROR_DETAILS/ERROR` entries (field name and value, message code, English and French
message). Every ERROR is tied to the record holding it: its segment, natural key path and
key values (OEN, class code, MEN...), and its level (file, school, segment, nested segment).

OnSIS repeats a record's error on every record below it as "Parent entry in error". Those
echoes are folded into the nearest ancestor with a real error (which counts them), so the
work list shows each problem once. An echo with no real error above it is kept as it is.

Given the previous results file, each error is `new`, `recurring` (same school, segment,
key, field and message code) or `resolved` (only in the previous file). Given the school
data folder, each error names the source rows its key values come from, found through the
`source` of the key elements in the segment specs (e.g. OEN -> students.oen).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.findings import Finding, finding
from onsis_batch.report.masking import PERSONAL
from onsis_batch.sources.files import SUFFIXES, Unreadable, read_table
from onsis_batch.specs import load_specs
from onsis_batch.tools.records import NotABatchFile, read_batch

RESULTS_ROOT = "ONSIS_BATCH_FILE_RESULT"
PARENT_ECHO = "parent entry in error"
IDENTITY = ["school", "segment", "key", "field_name", "message_code"]
BSID = re.compile(r"\d{6}")  # a school number names the work list files: nothing else passes
_SOURCE = re.compile(r"^([a-z_]+)\.([a-z_]+)(?:$|,)")
ERROR_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "school": pl.String,
    "level": pl.String,
    "segment": pl.String,
    "key": pl.String,
    "owner": pl.String,
    "ancestors": pl.List(pl.String),
    "key_values": pl.List(pl.Struct({"element": pl.String, "value": pl.String})),
    "field_name": pl.String,
    "field_value": pl.String,
    "message_code": pl.String,
    "e_message": pl.String,
    "f_message": pl.String,
    "line": pl.Int64,
}


@dataclass
class ResultsImport:
    """The open and resolved errors of a results file, one row each, as plain data."""

    path: str
    school_year: str
    period_code: str
    schools: list[str]
    errors: pl.DataFrame
    previous: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def for_school(self, bsid: str) -> pl.DataFrame:
        """The school's errors and those of the whole file (HEADER, SCHOOL_SUBMISSION)."""
        return self.errors.filter(pl.col("school").is_in([bsid, ""]))

    def open_errors(self) -> int:
        """How many errors are still open (new or recurring)."""
        return self.errors.filter(pl.col("status") != "resolved").height


class NotAResultsFile(ValueError):
    """Raised when a file is not an OnSIS results file; `reason` says why."""

    def __init__(self, reason: str, path: Path):
        super().__init__(reason)
        self.reason, self.path = reason, path

    def findings(self) -> list[Finding]:
        """The problem as the finding RES001."""
        return [finding("RES001", file=str(self.path), reason=self.reason)]


def read_errors(path: Path) -> tuple[pl.DataFrame, str, str, list[str]]:
    """Every ERROR of a results file (echoes included); raise NotAResultsFile otherwise."""
    try:
        batch = read_batch(path, keep=())  # the keys of the records are all it needs
    except NotABatchFile as problem:
        raise NotAResultsFile(problem.reason, path) from None
    if batch.root != RESULTS_ROOT:
        raise NotAResultsFile(f"its root is <{batch.root}>, not <{RESULTS_ROOT}>", path)
    for school in batch.schools:
        if not BSID.fullmatch(school):
            shown = school if len(school) <= 20 else school[:20] + "..."
            raise NotAResultsFile(f"SCHOOL_NUMBER {shown!r} is not a BSID (six digits)", path)
    rows = [
        dict(e, key_values=[{"element": k, "value": v} for k, v in e["key_values"].items()])
        for e in batch.errors
    ]
    frame = pl.from_dicts(rows, schema=ERROR_SCHEMA) if rows else pl.DataFrame(schema=ERROR_SCHEMA)
    return frame, batch.school_year, batch.period_code, batch.schools


def fold_parent_echoes(errors: pl.DataFrame) -> pl.DataFrame:
    """Real errors with `folded` (echoes below them) and `folded_segments`; echoes with no
    real error above them are kept as their own rows."""
    echo = pl.col("e_message").str.strip_chars().str.to_lowercase() == PARENT_ECHO
    indexed = errors.with_row_index("_n")
    real, echoes = indexed.filter(~echo), indexed.filter(echo)
    owners = real.select("school", "owner").unique()
    targets = (
        echoes.select("_n", "school", "segment", "ancestors")
        .explode("ancestors")
        .with_columns(
            pl.int_range(pl.len()).over("_n").alias("_depth"),
            # the file's own sections (no `:` in the id) hold errors of no one school
            pl.when(pl.col("ancestors").str.contains(":"))
            .then(pl.col("school"))
            .otherwise(pl.lit(""))
            .alias("_at"),
        )
        .join(owners, left_on=["_at", "ancestors"], right_on=["school", "owner"], how="inner")
        .sort("_n", "_depth")
        .group_by("_n", maintain_order=True)
        .last()
        .rename({"ancestors": "target"})
    )
    folded = targets.group_by(pl.col("_at").alias("school"), "target").agg(
        pl.len().alias("folded"),
        pl.col("segment").unique().sort().str.join(", ").alias("folded_segments"),
    )
    kept = real.join(
        folded, left_on=["school", "owner"], right_on=["school", "target"], how="left"
    ).with_columns(pl.col("folded").fill_null(0).cast(pl.Int64))
    lonely = echoes.join(targets.select("_n"), on="_n", how="anti").with_columns(
        pl.lit(0, pl.Int64).alias("folded"), pl.lit(None, pl.String).alias("folded_segments")
    )
    return pl.concat([kept, lonely.select(kept.columns)]).sort("_n").drop("_n")


def classify(current: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """`status`: new / recurring against the previous errors; theirs alone are resolved."""
    if previous is None:
        return current.with_columns(pl.lit("new").alias("status"))
    before = previous.select(IDENTITY).unique()
    now = current.with_columns(
        pl.when(pl.struct(IDENTITY).is_in(before.select(pl.struct(IDENTITY)).to_series().implode()))
        .then(pl.lit("recurring"))
        .otherwise(pl.lit("new"))
        .alias("status")
    )
    resolved = previous.join(current.select(IDENTITY).unique(), on=IDENTITY, how="anti")
    return pl.concat([now, resolved.with_columns(pl.lit("resolved").alias("status"))])


@cache
def _key_sources() -> dict[str, tuple[str, str, str]]:
    """Key element -> (contract table, column, element type), from the specs' `source`.

    Only the sole key of a segment counts (OEN, CLASS_CODE, MEN): a part of a longer key,
    like a language code, would name half the rows of its table.
    """
    found: dict[str, tuple[str, str, str]] = {}
    tables = contract()
    for spec in load_specs().values():
        for element in spec.elements:
            sole = element.key and spec.key == (element.name,)
            match = _SOURCE.match(element.source) if sole else None
            if match and match[1] in tables and element.name not in found:
                found[element.name] = (match[1], match[2], element.type)
    return found


def _normal(expr: pl.Expr) -> pl.Expr:
    """Key values as compared with the school data: upper case, no spaces or dashes."""
    return expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[\s-]", "")


def source_rows(errors: pl.DataFrame, data_dir: Path) -> tuple[pl.DataFrame, list[Finding]]:
    """`source_rows` (e.g. `students row 12`) for each error, from its key values."""
    wanted = errors.select(pl.col("key_values").explode().struct.field("element")).to_series()
    lookups, findings = [], []
    for element, (table, column, _type) in sorted(_key_sources().items()):
        if element not in wanted.to_list():
            continue
        path = _table_file(data_dir, table)
        if path is None:
            findings.append(finding("RES003", file=str(data_dir), table=table, element=element))
            continue
        raw, _ = read_table(contract()[table], path)
        if raw is None or column in raw.missing:
            findings.append(finding("RES003", file=str(data_dir), table=table, element=element))
            continue
        try:
            rows = raw.read_all()
        except Unreadable:
            findings.append(finding("RES003", file=str(data_dir), table=table, element=element))
            continue
        lookups.append(
            rows.select(
                pl.lit(element).alias("element"),
                _normal(pl.col(column)).alias("_value"),
                pl.format("{} row {}", pl.lit(table), pl.col("_row")).alias("_source"),
            )
        )
    if not lookups:
        return errors.with_columns(pl.lit(None, pl.String).alias("source_rows")), findings
    found = (
        errors.with_row_index("_n")
        .select("_n", "key_values")
        .explode("key_values")
        .unnest("key_values")
        .with_columns(_normal(pl.col("value")).alias("_value"))
        .join(pl.concat(lookups), on=["element", "_value"], how="inner")
        .group_by("_n")
        .agg(pl.col("_source").unique(maintain_order=True).str.join("; ").alias("source_rows"))
    )
    joined = errors.with_row_index("_n").join(found, on="_n", how="left").sort("_n").drop("_n")
    return joined, findings


def _table_file(folder: Path, table: str) -> Path | None:
    names = {f"{table}{suffix}" for suffix in SUFFIXES}
    matches = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower() in names)
    return matches[0] if matches else None


@cache
def personal_elements() -> frozenset[str]:
    """The elements whose values are personal in some segment (names, birth date...)."""
    return frozenset(e.name for s in load_specs().values() for e in s.elements if e.personal)


def masked_values(errors: pl.DataFrame) -> pl.DataFrame:
    """The errors with the FIELD_VALUE OnSIS echoes for a personal element masked."""
    personal = pl.col("field_name").is_in(sorted(personal_elements()))
    shown = pl.when(personal & (pl.col("field_value") != "")).then(pl.lit(PERSONAL))
    return errors.with_columns(shown.otherwise(pl.col("field_value")).alias("field_value"))


def import_results(
    path: Path,
    *,
    previous: Path | None = None,
    data_dir: Path | None = None,
    show_pii: bool = False,
) -> ResultsImport:
    """The work list of a results file; raise NotAResultsFile when it cannot be read.

    The values OnSIS echoes for personal elements are masked unless `show_pii`.
    """
    errors, school_year, period_code, schools = read_errors(path)
    current = fold_parent_echoes(errors)
    findings: list[Finding] = []
    before = None
    if previous is not None:
        old, old_year, old_period, old_schools = read_errors(previous)
        same_schools = bool(set(old_schools) & set(schools))
        if (old_year, old_period) != (school_year, period_code) or not same_schools:
            findings.append(
                finding(
                    "RES002",
                    file=str(previous),
                    then=f"{old_period} {old_year} {', '.join(old_schools)}",
                    now=f"{period_code} {school_year} {', '.join(schools)}",
                )
            )
        before = fold_parent_echoes(old)
    listed = classify(current, before)
    listed = listed.with_columns(
        *[
            pl.col("key_values")
            .list.eval(pl.element().filter(pl.element().struct.field("element") == name))
            .list.first()
            .struct.field("value")
            .alias(name.lower())
            for name in ("OEN", "CLASS_CODE", "MEN")
        ]
    )
    if data_dir is not None:
        listed, more = source_rows(listed, data_dir)
        findings += more
    else:
        listed = listed.with_columns(pl.lit(None, pl.String).alias("source_rows"))
    order = {"new": 0, "recurring": 1, "resolved": 2}
    listed = listed.sort(
        pl.col("status").replace_strict(order),
        pl.col("school"),
        pl.col("line"),
        maintain_order=True,
    )
    return ResultsImport(
        path=str(path),
        school_year=school_year,
        period_code=period_code,
        schools=schools,
        errors=listed if show_pii else masked_values(listed),
        previous=str(previous) if previous else None,
        findings=findings,
    )
