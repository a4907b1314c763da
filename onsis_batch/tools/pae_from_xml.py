"""`pae-from-xml`: the Pending Area Extracts OnSIS would hand out after accepting a file.

Every record of the batch file that a Pending Area Extract holds (the segments listed in
`pae_from_xml.yaml`) is applied, in file order, to the extracts of a PAE folder: ADD
inserts rows, UPDATE sets the columns the record sends, DELETE removes them (see
`pae_apply`). Every extract of `pae/layouts/` is written for every school of the file, as
`extract_file_name` names it, in windows-1252, readable by its owner only. Records OnSIS
would refuse change nothing and are findings (PAE020, PAE021); a value an extract column
cannot hold stops the run (PAE022). Segments no extract holds (PLAR, OTHER_CREDIT, SPCE,
STUDENT_NON_ENROLMENT) leave no trace, as in OnSIS's own extracts.

The batch file is read with the hardened parser (`tools.records.read_batch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding, finding, has_errors
from onsis_batch.pae.extracts import extract_bytes, extract_file_name
from onsis_batch.pae.grid import decode, split_line, to_typed
from onsis_batch.pae.layout import LIST_SEPARATOR, ROW_COLUMN, Layout, load_layouts
from onsis_batch.render.publish import private_folder, write_private
from onsis_batch.segments.context import MISSING_OEN
from onsis_batch.sources.issues import without_oens
from onsis_batch.tools.diff_pae import batch_period_description, read_batch_pae
from onsis_batch.tools.pae_apply import ExtractRows, Op, Row
from onsis_batch.tools.pae_roles import SegmentRole, segment_roles
from onsis_batch.tools.records import Batch, read_batch

# Extracts whose list cells are applied one row per value (0009: D102; see pae_from_xml.yaml).
ROW_PER_VALUE = frozenset({"0009"})
Record = dict[str, Any]  # a record as read_batch reads it: bookkeeping and element texts


@dataclass
class PaeFromXml:
    """What `pae_from_xml` did: the files written (none when a finding is an error)."""

    xml: Path
    pae_dir: Path
    out_dir: Path
    schools: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # extract -> rows written
    written: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def pae_from_xml(
    xml: Path, pae_dir: Path, out_dir: Path, *, created: datetime | None = None
) -> PaeFromXml:
    """Apply the batch file `xml` to the extracts in `pae_dir`; write them to `out_dir`.

    `created` stamps the H1 headers (default: the batch file's header date and time, so
    the same inputs give the same bytes). NotABatchFile when `xml` is no batch file.
    """
    batch = read_batch(xml)
    done = PaeFromXml(xml, pae_dir, out_dir, list(batch.schools))
    pae = read_batch_pae(batch, pae_dir)
    done.findings += pae.findings
    if has_errors(done.findings):
        return done
    records = FileRecords.of_batch(batch)
    done.findings += _without_oen(xml, records)
    blocks: dict[str, list[tuple[str, pl.DataFrame]]] = {}
    for extract, layout in load_layouts().items():
        for school in batch.schools:
            held = _cells_as_held(layout, pae.frames.get((extract, school)))
            rows, found = _applied(xml, layout, school, held, records)
            done.findings += found
            blocks.setdefault(extract, []).append((school, rows))
    if not has_errors(done.findings):
        _write(done, batch, blocks, created or _stamp(batch))
    return done


def _cells_as_held(layout: Layout, frame: pl.DataFrame | None) -> pl.DataFrame | None:
    """The extract's rows as its file holds them: a list cell the reader split into one row
    per value (0027's SAL components) joined back, so its `list` role edits the one cell."""
    column = layout.list_column
    if frame is None or column is None or layout.extract in ROW_PER_VALUE:
        return frame
    return (
        frame.group_by(ROW_COLUMN, maintain_order=True)
        .agg(pl.exclude(column.name).first(), pl.col(column.name).drop_nulls())
        .with_columns(pl.col(column.name).list.join(LIST_SEPARATOR).replace("", None))
        .select(frame.columns)
    )


def _write(
    done: PaeFromXml,
    batch: Batch,
    blocks: dict[str, list[tuple[str, pl.DataFrame]]],
    stamp: datetime,
) -> None:
    """Every extract file, written only when all of them could be made."""
    names = _school_names(done.pae_dir)
    files = []
    for extract, frames in blocks.items():
        data, problem = _bytes(done.xml, extract, batch, frames, names, stamp)
        done.findings += problem
        done.rows[extract] = sum(frame.height for _, frame in frames)
        files.append((done.out_dir / extract_file_name(extract), data))
    if not has_errors(done.findings):
        private_folder(done.out_dir)
        done.written = [write_private(path, data) for path, data in files]


@dataclass(frozen=True)
class FileRecords:
    """Every record of the file, per segment and by school and key path."""

    by_segment: dict[str, list[Record]]
    by_key: dict[tuple[str, str], tuple[str, Record]]  # (school, key) -> (segment, record)

    @classmethod
    def of_batch(cls, batch: Batch) -> FileRecords:
        """The records `read_batch` read."""
        by_segment = {name: list(f.iter_rows(named=True)) for name, f in batch.frames.items()}
        by_key = {
            (r["_school"], r["_key"]): (name, r) for name, rows in by_segment.items() for r in rows
        }
        return cls(by_segment, by_key)

    def of(self, segment: str, school: str) -> list[tuple[str, Record]]:
        """(key path, record) of one segment's records of one school, in file order."""
        rows = self.by_segment.get(segment, [])
        return [(r["_key"], r) for r in rows if r["_school"] == school]


def _without_oen(xml: Path, records: FileRecords) -> list[Finding]:
    """PAE023 for each student sent without an OEN: none of their rows can be written."""
    return [
        finding("PAE023", file=str(xml), line=record["_line"], segment="STUDENT")
        for record in records.by_segment.get("STUDENT", [])
        if record.get("OEN") == MISSING_OEN
    ]


def _stamp(batch: Batch) -> datetime:
    """The batch file's header DATE and TIME, else the start of its school year."""
    text = f"{batch.header.get('DATE', '')} {batch.header.get('TIME', '')}"
    try:
        return datetime.strptime(text, "%Y/%m/%d %H%M%S")
    except ValueError:
        return datetime(int(batch.school_year[:4] or 2000), 9, 1)


def _school_names(folder: Path) -> dict[str, str]:
    """The school name each H2 line of the folder's extracts gives a BSID."""
    names: dict[str, str] = {}
    for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.CSV")):
        try:
            text = decode(path.read_bytes()).text
        except OSError:
            continue  # the reader has already said why
        for line in text.splitlines():
            if line.lstrip(' \t"').upper().startswith("H2"):
                cells = [c.strip() for c in split_line(line)] + ["", ""]
                names.setdefault(cells[1], cells[2])
    return names


def _applied(
    xml: Path,
    layout: Layout,
    school: str,
    held: pl.DataFrame | None,
    records: FileRecords,
) -> tuple[pl.DataFrame, list[Finding]]:
    """One school's block of one extract after the file's records were applied."""
    columns = [c.name for c in layout.columns]
    rows = [] if held is None else held.select(columns).to_dicts()
    state = ExtractRows(columns, rows)
    ops, findings = _ops(xml, layout, school, records)
    left: dict[str, list[Row]] = {}
    for op in ops:
        if op.role.role == "row":
            left[op.key] = state.apply_row(op)
        elif left.get(op.parent_key or ""):
            state.apply_child(op, left[op.parent_key or ""])
    for rejected in state.rejected:
        code = "PAE020" if rejected.held else "PAE021"
        op = rejected.op
        findings.append(
            finding(
                code,
                file=str(xml),
                line=op.line,
                segment=op.role.segment,
                key=without_oens(op.key),
                action=op.action,
                extract=layout.extract,
            )
        )
    schema = {c.name: c.dtype for c in layout.columns}
    return pl.DataFrame(state.result(), schema=schema, orient="row"), findings


def _ops(
    xml: Path, layout: Layout, school: str, records: FileRecords
) -> tuple[list[Op], list[Finding]]:
    """The school's records of the segments this extract holds, in file order, as ops."""
    roles = [r for r in segment_roles().values() if r.extract == layout.extract]
    known = {c.name for c in layout.columns}
    coded: list[Op] = []  # list and flag records: a code, no cells
    celled: list[Op] = []  # row and fan_out records, with their cells as text
    texts: list[dict[str, str | None]] = []
    findings: list[Finding] = []
    for role in (r for r in roles if r.role != "part"):
        for key, record in records.of(role.segment, school):
            op = Op(role, record["_action"], key, record["_parent_key"], record["_line"])
            if role.role in ("list", "flag"):
                op.code = record.get(role.spec.key[0]) or ""
                if role.role == "flag" and op.code not in role.columns:
                    findings.append(_unholdable(xml, op, layout, role.spec.key[0], op.code))
                else:
                    coded.append(op)
                continue
            cells = _from_ancestors(role, record, records, school) if role.role == "row" else {}
            cells |= _own(role, record)
            if cells.get("oen") == MISSING_OEN:
                continue  # OnSIS gives the student an OEN the file does not know (PAE023)
            celled.append(op)
            texts.append({c: v for c, v in cells.items() if c in known})
    typed, bad = _typed(layout, texts)
    findings += [_unholdable(xml, celled[i], layout, column, value) for i, column, value in bad]
    for op, cells in zip(celled, typed, strict=True):
        op.cells = cells
    return sorted([*celled, *coded], key=lambda op: op.line or 0), findings


def _own(role: SegmentRole, record: Record) -> dict[str, str | None]:
    """The cells of the elements a record sends (an empty element clears its cell)."""
    return {
        role.column(e.name): record[e.name] or None
        for e in role.spec.elements
        if e.type != "action" and record.get(e.name) is not None
    }


def _from_ancestors(
    role: SegmentRole, record: Record, records: FileRecords, school: str
) -> dict[str, str | None]:
    """What a row takes from its ancestors: their key columns; every cell of a `part`
    parent (STUDENT for 0003); the `inherit` columns of its parent."""
    roles, cells = segment_roles(), dict[str, str | None]()
    parent_key, first = record["_parent_key"], True
    while parent_key:
        name, parent = records.by_key[(school, parent_key)]
        parent_key = parent["_parent_key"]
        ancestor = roles.get(name)
        if ancestor is None:  # STUDENT_NON_ENROLMENT: no extract, no key
            first = False
            continue
        own = _own(ancestor, parent)
        if first:
            taken = own if ancestor.role == "part" else {c: own.get(c) for c in role.inherit}
            cells = {c: v for c, v in taken.items() if c in own} | cells
        keys = [ancestor.column(k) for k in ancestor.spec.key]
        cells |= {c: own[c] for c in keys if c in own}
        first = False
    return cells


def _typed(
    layout: Layout, texts: Sequence[dict[str, str | None]]
) -> tuple[list[Row], list[tuple[int, str, str]]]:
    """The cells typed as the extract reader types them, and the values it cannot hold
    (index of the op, column, value)."""
    schema = {ROW_COLUMN: pl.Int64, **{c.name: pl.String for c in layout.columns}}
    rows = [{ROW_COLUMN: i, **cells} for i, cells in enumerate(texts)]
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    typed, bad = to_typed(frame, layout, max_reported=len(texts) or 1)
    values = typed.drop(ROW_COLUMN).to_dicts()
    sent = [{c: values[i][c] for c in cells} for i, cells in enumerate(texts)]
    return sent, [(b.row, b.column, b.value) for b in bad]


def _unholdable(xml: Path, op: Op, layout: Layout, column: str, value: str) -> Finding:
    return finding(
        "PAE022",
        file=str(xml),
        line=op.line,
        segment=op.role.segment,
        key=without_oens(op.key),
        column=column,
        value=without_oens(value),
        extract=layout.extract,
    )


def _bytes(
    xml: Path,
    extract: str,
    batch: Batch,
    frames: list[tuple[str, pl.DataFrame]],
    names: dict[str, str],
    stamp: datetime,
) -> tuple[bytes, list[Finding]]:
    """The extract file, or a PAE022 when a value cannot be written in windows-1252."""
    blocks = [(school, names.get(school, ""), frame) for school, frame in frames]
    try:
        data = extract_bytes(
            extract,
            school_year=batch.school_year,
            period_description=batch_period_description(batch),
            blocks=blocks,
            created=stamp,
        )
    except UnicodeEncodeError as problem:
        shown = without_oens(problem.object[problem.start : problem.end])
        return b"", [
            finding(
                "PAE022",
                file=str(xml),
                column="(windows-1252)",
                value=shown,
                extract=extract,
                key="",
                segment="",
                line=None,
            )
        ]
    return data, []
