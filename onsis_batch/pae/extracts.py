"""Pending Area Extracts (PAE): read the Ministry's EXSMS CSV files, and write them for tests.

At the start of a period OnSIS holds a "pending area" of what it already knows about each
school; the extracts are how we see it, so every record can be sent as ADD, UPDATE or DELETE.

An extract is a line-oriented CSV file (windows-1252, CRLF, usually every cell quoted, no
column header). The first cell of each line is its record type:

* `H1` file header: file type (which extract), version, academic year, period description,
  creation date and time;
* `H2` school header: BSID, school name, status. Each H2 opens a school block; a board-wide
  file has one block per school;
* `DT` (or the layout's record types) data rows of the current block, by position.

Files are conventionally named `EXSMS-NNNN.00 - <File Type>.csv`, e.g.
`EXSMS-0003.00 - Student School Enrolment.csv` (`extract_file_name`). The reader does not
rely on names: any `*.csv` is read and its H1 file type says which extract it is.

Every problem is a finding (PAE001-PAE009); reading never raises on bad input.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.pae.grid import (
    PAD,
    BadValue,
    cell_name,
    clean,
    decode,
    misformatted,
    quoted,
    read_grid,
    split_line,
    split_lists,
    to_lines,
    to_typed,
)
from onsis_batch.pae.layout import (
    RECORD_COLUMN,
    ROW_COLUMN,
    Layout,
    LayoutColumn,
    empty_frame,
    layout_for_file_type,
    load_layouts,
)
from onsis_batch.pae.structure import (
    BLOCK_COLUMN,
    MAX_REPORTED,
    TYPE_COLUMN,
    FileEnd,
    structure_findings,
    with_blocks,
)
from onsis_batch.queries import IN_MEMORY
from onsis_batch.sources.issues import without_oens

__all__ = [
    "Layout",
    "LayoutColumn",
    "PaeSet",
    "empty_frame",
    "extract_bytes",
    "extract_file_name",
    "load_layouts",
    "read_pae_folder",
    "write_extract",
]

H2_STATUS = "02"  # submission status written in H2; a value seen in public fixtures, not read back
_BSID = "_bsid"  # working column: the BSID of a row's school block


@dataclass(frozen=True)
class PaeSet:
    """The extracts read for a run, split per school, with every finding about them."""

    frames: dict[tuple[str, str], pl.DataFrame]  # (extract, bsid) -> typed rows
    files: dict[tuple[str, str], str]  # (extract, bsid) -> name of the file they came from
    findings: list[Finding] = field(default_factory=list)

    def for_bsid(self, bsid: str) -> dict[str, pl.DataFrame]:
        """Every known extract for one school; an absent extract is an empty typed frame.

        Callers diff SIS data against these frames; an empty frame means "OnSIS holds
        nothing", which is what a first submission or an unused extract amounts to.
        """
        return {
            extract: self.frames.get((extract, bsid), empty_frame(extract))
            for extract in load_layouts()
        }


@dataclass(frozen=True)
class _Run:
    """What every file must match."""

    school_year: str
    period_code: str
    period_description: str
    bsids: frozenset[str]


@dataclass
class _FileResult:
    extract: str = ""
    blocks: dict[str, pl.DataFrame] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def read_pae_folder(
    folder: Path,
    *,
    school_year: str,
    period_code: str,
    period_description: str,
    bsids: Collection[str],
    required: Collection[str] = ("0003",),
) -> PaeSet:
    """Read every `*.csv` directly in `folder` (by name order) into per-school typed frames.

    Only the blocks of the requested BSIDs are kept; other schools of a board-wide file are
    skipped without a word, since boards routinely download one file for all schools.
    """
    unknown = sorted(set(required) - set(load_layouts()))
    if unknown:  # a caller's mistake, not bad input
        raise ValueError(f"no layout for required extract(s) {', '.join(unknown)}")
    if not folder.is_dir():
        return PaeSet({}, {}, [_not_extract(str(folder), "the folder does not exist")])
    run = _Run(
        school_year.strip(),
        period_code.strip(),
        period_description.strip(),
        frozenset(b.strip() for b in bsids),
    )
    frames: dict[tuple[str, str], pl.DataFrame] = {}
    files: dict[tuple[str, str], str] = {}
    sources: dict[tuple[str, str], list[str]] = {}
    findings: list[Finding] = []
    for path in sorted((p for p in folder.iterdir() if _is_csv(p)), key=lambda p: p.name):
        result = _read_file(path, run)
        findings.extend(result.findings)
        for bsid, frame in result.blocks.items():
            key = (result.extract, bsid)
            sources.setdefault(key, []).append(path.name)
            if key not in frames:  # the first file by name wins; a duplicate is an error anyway
                frames[key], files[key] = frame, path.name
    for (extract, bsid), names in sources.items():
        if len(names) > 1:  # named at the first file whose block is left unread
            listed = ", ".join(names)
            findings.append(
                finding("PAE008", file=names[1], extract=extract, bsid=bsid, files=listed)
            )
    findings.extend(_missing(folder, required, run.bsids, frames))
    return PaeSet(frames, files, findings)


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and path.is_file()


def _missing(
    folder: Path,
    required: Collection[str],
    bsids: Collection[str],
    frames: Mapping[tuple[str, str], pl.DataFrame],
) -> list[Finding]:
    """PAE007 for each requested school without a required extract (an empty block counts)."""
    layouts = load_layouts()
    return [
        finding(
            "PAE007",
            file=str(folder),
            key=bsid,
            extract=extract,
            file_type=layouts[extract].file_type,
        )
        for bsid in sorted(bsids)
        for extract in sorted(required)
        if (extract, bsid) not in frames
    ]


def _read_file(path: Path, run: _Run) -> _FileResult:
    """One file: header checks, then its rows split by school block."""
    name = path.name
    try:
        decoded = decode(path.read_bytes())
    except OSError as error:
        return _FileResult(findings=[_not_extract(name, f"it cannot be read ({error.strerror})")])
    text = decoded.text
    if "\r" in text and "\n" not in text:
        reason = "its lines end with a carriage return alone (CR), not CR LF"
        return _FileResult(findings=[_not_extract(name, reason)])
    first = _first_record(text)
    if first is None:
        return _FileResult(findings=[_not_extract(name, "the file is empty")])
    line, h1 = first
    if h1[0] != "H1":
        return _FileResult(findings=[_not_extract(name, "its first line is not an H1 header")])
    if len(h1) < 5:
        return _FileResult(findings=[_not_extract(name, "its H1 header has no year or period")])
    layout = layout_for_file_type(h1[1])
    if layout is None:
        reason = f"file type '{without_oens(h1[1])}' is not a known extract"
        return _FileResult(findings=[finding("PAE009", file=name, reason=reason)])
    result = _FileResult(extract=layout.extract, findings=_check_header(name, line, h1, run))
    if decoded.encoding != "windows-1252":
        result.findings.append(finding("PAE013", file=name, encoding=decoded.encoding))
    grid = read_grid(text, width=max(len(layout.columns) + 1, 4))  # H2 needs 4 cells
    end = FileEnd(text.endswith("\n"), text[text.rfind("\n") + 1 :])
    blocks, findings = _split_blocks(name, grid, layout, run, end)
    result.blocks.update(blocks)
    result.findings.extend(findings)
    return result


def _not_extract(name: str, reason: str) -> Finding:
    return finding("PAE001", file=name, reason=reason)


def _first_record(text: str) -> tuple[int, list[str]] | None:
    """Line number and trimmed cells of the first non-blank line (without splitting it all)."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end].rstrip("\r")
        if line.strip(PAD):
            cells = [cell.strip(PAD) for cell in split_line(line)]
            return number, [cells[0].upper(), *cells[1:]]
        start, number = end + 1, number + 1
    return None


def _check_header(name: str, line: int, h1: list[str], run: _Run) -> list[Finding]:
    """The H1 year and period must be the run's: last period's extract would mislead diffs."""
    findings = []
    year, period = h1[3], h1[4]
    if year != run.school_year:
        findings.append(
            finding(
                "PAE002",
                file=name,
                row=line,
                found=without_oens(year) or "(none)",
                expected=run.school_year,
            )
        )
    accepted = {run.period_code.casefold(), run.period_description.casefold()}
    if period.casefold() not in accepted:
        findings.append(
            finding(
                "PAE003",
                file=name,
                row=line,
                found=without_oens(period),
                expected=f"{run.period_code} ({run.period_description})",
            )
        )
    return findings


def _split_blocks(
    name: str, grid: pl.DataFrame, layout: Layout, run: _Run, end: FileEnd
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """Rows of the requested schools, typed and keyed by BSID, plus structural findings."""
    grid = with_blocks(grid, layout)
    findings = structure_findings(name, grid, layout, end)
    heads = grid.filter(pl.col(TYPE_COLUMN) == "H2").select(
        BLOCK_COLUMN, clean(cell_name(1)).alias(_BSID)
    )
    present = {b for b in heads.get_column(_BSID).to_list() if b is not None}
    wanted = present & run.bsids
    if not wanted:
        found = without_oens(", ".join(sorted(present))) or "none"
        findings.append(
            finding("PAE004", file=name, found=found, expected=", ".join(sorted(run.bsids)))
        )
        return {}, findings
    block_bsid = dict(heads.iter_rows())
    # The wanted schools' rows in one filter: their blocks' numbers are known already.
    blocks_wanted = [block for block, bsid in block_bsid.items() if bsid in wanted]
    data = pl.col(TYPE_COLUMN).is_in(layout.record_types) & pl.col(BLOCK_COLUMN).is_in(
        blocks_wanted
    )
    bsid = pl.col(BLOCK_COLUMN).replace_strict(block_bsid, default=None, return_dtype=pl.Utf8)
    rows = (
        grid.lazy()
        .filter(data)
        .select(
            ROW_COLUMN,
            pl.col(TYPE_COLUMN).alias(RECORD_COLUMN),
            bsid.alias(_BSID),
            *(clean(cell_name(i)).alias(c.name) for i, c in enumerate(layout.columns, start=1)),
        )
        .collect(engine=IN_MEMORY)
    )
    rows, emptied = split_lists(rows, layout, MAX_REPORTED)
    findings.extend(
        finding("PAE014", file=name, row=b.row, column=b.column, value=without_oens(b.value))
        for b in emptied
    )
    typed, bad = to_typed(rows, layout, MAX_REPORTED)
    findings.extend(
        finding(
            "PAE006",
            file=name,
            row=b.row,
            column=b.column,
            value=without_oens(b.value),
            type=b.type,
        )
        for b in bad
    )
    findings.extend(
        finding("PAE010", file=name, row=b.row, column=b.column, value=_shown(b), expected=b.type)
        for b in misformatted(rows, layout, MAX_REPORTED)
    )
    columns = list(layout.schema())
    if len(wanted) == 1 and typed.height:  # one school's rows: nothing to split (the usual case)
        return {bsid: typed.select(columns) for bsid in wanted}, findings
    parts = typed.partition_by(_BSID, as_dict=True, include_key=False)
    blocks = {
        bsid: parts[(bsid,)].select(columns) if (bsid,) in parts else empty_frame(layout.extract)
        for bsid in wanted
    }
    return blocks, findings


def _shown(bad: BadValue) -> str:
    """How a PAE010 message shows the value: quoted, or only its length when personal."""
    return f"'{without_oens(bad.value)}'" if bad.value else "the value (personal data, not shown)"


def extract_file_name(extract: str) -> str:
    """Conventional file name, e.g. `EXSMS-0003.00 - Student School Enrolment.csv`.

    Modelled on the Ministry's download names; only a convention, as the reader goes by the
    H1 file type. The file type is title-cased and "/" (0026) made safe for file systems.
    """
    file_type = load_layouts()[extract].file_type.title().replace("/", "-")
    return f"EXSMS-{extract}.00 - {file_type}.csv"


def write_extract(
    path: Path,
    extract: str,
    *,
    school_year: str,
    period_description: str,
    blocks: Sequence[tuple[str, str, pl.DataFrame]],
    created: datetime,
) -> None:
    """Write an extract the way the Ministry hands it out, for test data and the generator.

    `blocks` are (BSID, school name, rows); the bytes are `extract_bytes`'.
    """
    data = extract_bytes(
        extract,
        school_year=school_year,
        period_description=period_description,
        blocks=blocks,
        created=created,
    )
    path.write_bytes(data)


def extract_bytes(
    extract: str,
    *,
    school_year: str,
    period_description: str,
    blocks: Sequence[tuple[str, str, pl.DataFrame]],
    created: datetime,
) -> bytes:
    """An extract file's bytes: an H1 header, then an H2 line and the rows of each block.

    Columns missing from a frame are written empty. Every cell is quoted, lines end with
    CRLF and the file is windows-1252, so a value that encoding cannot hold raises
    UnicodeEncodeError rather than being changed silently.
    """
    layouts = load_layouts()
    if extract not in layouts:
        raise ValueError(f"no layout for extract {extract!r}")
    layout = layouts[extract]
    header = [
        "H1",
        layout.file_type,
        "1",
        school_year,
        period_description,
        created.strftime("%Y/%m/%d"),
        created.strftime("%H:%M"),
    ]
    lines = [quoted(header)]
    for bsid, school_name, frame in blocks:
        lines.append(quoted(["H2", bsid, school_name, H2_STATUS]))
        lines.extend(to_lines(frame, layout))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
