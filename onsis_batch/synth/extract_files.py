"""The files of a synthetic board's PAE extracts: a period's H1 line, then one H2 block per
reporting BSID, as `pae.extracts.write_extract` writes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl

from onsis_batch.pae.extracts import H2_STATUS, extract_file_name, write_extract
from onsis_batch.pae.grid import quoted, to_lines
from onsis_batch.pae.layout import Layout, load_layouts
from onsis_batch.period.periods import default_period_code
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.schools import Board

CREATED_MONTH = {"oct": 10, "mar": 3, "jun": 6}  # extracts are downloaded early in the month
WHOLE_FRAME_ROWS = 50_000  # up to this many rows an extract's lines are made at once


def created_at(kind: str, cal: Calendar, created: datetime | None) -> datetime:
    """When a period's extracts were downloaded: `created`, else early in the period's month."""
    return created or datetime(cal.year + (kind != "oct"), CREATED_MONTH[kind], 1, 8, 0)


def write_board_extract(
    folder: Path,
    extract: str,
    kind: str,
    cal: Calendar,
    board: Board,
    frame: pl.DataFrame,
    created: datetime | None,
) -> None:
    """`frame` (rows with a `_bsid`, each BSID's rows together, in block order) as
    `folder/<file name of the extract>`, one H2 block per reporting BSID, empty ones too,
    each appended as soon as its lines are made."""
    _, description = default_period_code(kind, cal.school_year)
    path = folder / extract_file_name(extract)
    write_extract(
        path,
        extract,
        school_year=cal.school_year,
        period_description=description,
        blocks=[],
        created=created_at(kind, cal, created),
    )
    with path.open("ab") as out:
        for bsid, lines in _block_lines(frame, load_layouts()[extract], board.reporting_bsids):
            head = quoted(["H2", bsid, board.name_of(bsid), H2_STATUS])
            out.write(("\r\n".join([head, *lines]) + "\r\n").encode("cp1252"))


def _block_lines(
    frame: pl.DataFrame, layout: Layout, bsids: tuple[str, ...]
) -> Iterator[tuple[str, list[str]]]:
    """Each BSID's data lines, in `bsids` order. A small frame's lines are made at once (a
    board has a hundred blocks, and making lines has a cost per call); a big one's block by
    block, so that a board's extract 0004 never exists in memory as text all at once."""
    if frame.height <= WHOLE_FRAME_ROWS:
        lines = pl.Series("line", to_lines(frame, layout), dtype=pl.String)
        blocks = dict(
            frame.select("_bsid")
            .with_columns(lines)
            .group_by("_bsid", maintain_order=True)
            .agg("line")
            .iter_rows()
        )
        for bsid in bsids:
            yield bsid, blocks.get(bsid, [])
        return
    spans, offset = {}, 0  # each BSID's rows are one slice of the frame
    for bsid, rows in frame.group_by("_bsid", maintain_order=True).len().iter_rows():
        spans[bsid] = (offset, rows)
        offset += rows
    for bsid in bsids:
        start, rows = spans.get(bsid, (0, 0))
        yield bsid, to_lines(frame.slice(start, rows), layout)
