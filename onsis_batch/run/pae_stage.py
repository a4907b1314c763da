"""A board's PAE extracts read once and staged as Parquet by BSID, like its school data.

Without a stage, every worker parsed every extract file of the board and kept the blocks
of all its BSIDs for its whole share: on a province, 1.7 GB per worker (extract 0004
alone is 10 M rows). The staging process now reads the folder once for all the run's
BSIDs and writes each extract as one Parquet file sorted by BSID, in the board's private
stage folder (owner-only); a worker reads back only the blocks of the BSIDs it is about
to plan (`chunk_pae`), a few at a time.

The stage is used only when that read met nothing to report (D902): the findings of a
read depend on the BSIDs read (a file holding none of them is PAE004), and a damaged
extract must give each BSID the findings it gives today, so any finding sends the run
back to the workers reading the text themselves, share by share. The one finding that
depends on a share alone, PAE004 (a file holding none of its BSIDs), is checked per
share from the BSIDs each file holds.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from onsis_batch.errors import InputError
from onsis_batch.findings import has_errors
from onsis_batch.pae.layout import empty_frame, load_layouts
from onsis_batch.queries import IN_MEMORY
from onsis_batch.run.planning import board_periods, missing_by_bsid, read_request_pae
from onsis_batch.run.request import PlanRequest
from onsis_batch.sources import StagedData

_BSID = "__bsid"


@dataclass(frozen=True)
class StagedPae:
    """The extracts of a board read once: one Parquet file per extract, rows sorted by BSID."""

    folder: Path
    extracts: dict[str, Path]  # extract -> its Parquet file
    # Each file read and the run's BSIDs it holds a block for (PAE004 per share).
    files: dict[str, frozenset[str]]

    def covers(self, bsids: Collection[str]) -> bool:
        """Whether every file holds a block of one of `bsids`: reading the extracts for
        them alone would then meet no finding either (else PAE004)."""
        wanted = set(bsids)
        return all(held & wanted for held in self.files.values())

    def chunk_pae(self, bsids: Collection[str]) -> dict[str, dict[str, pl.DataFrame]]:
        """The rows of each extract for each of these BSIDs (bsid -> extract -> rows)."""
        wanted = sorted(bsids)
        pae: dict[str, dict[str, pl.DataFrame]] = {bsid: {} for bsid in wanted}
        for extract in load_layouts():
            parts: dict[tuple[object, ...], pl.DataFrame] = {}
            if extract in self.extracts:
                rows = pl.scan_parquet(self.extracts[extract]).filter(pl.col(_BSID).is_in(wanted))
                parts = rows.collect(engine="streaming").partition_by(
                    _BSID, as_dict=True, include_key=False
                )
            for bsid in wanted:
                pae[bsid][extract] = parts.get((bsid,), empty_frame(extract))
        return pae


def stage_pae(staged: StagedData, request: PlanRequest, folder: Path) -> StagedPae | None:
    """Read the request's PAE folder once for all its BSIDs and stage it in `folder`.

    None when there is nothing to stage (no PAE folder, school data with errors) or the
    read met any finding: the workers then read the extracts themselves (D902).
    """
    if request.pae_dir is None or has_errors(staged.findings):
        return None
    settings = {
        name: staged.scan(name).collect(engine=IN_MEMORY) for name in ("board_settings", "schools")
    }
    try:
        periods = board_periods(settings, request)
    except InputError:  # a period that cannot be resolved is the workers' finding to make
        return None
    pae_set = read_request_pae(request.pae_dir, request, periods)
    if pae_set.findings or any(missing_by_bsid(pae_set, request.pae_dir, periods).values()):
        return None  # findings, PAE030 included, are the workers' to give each BSID its own
    extracts: dict[str, Path] = {}
    for extract in load_layouts():
        blocks = sorted((b, f) for (e, b), f in pae_set.frames.items() if e == extract)
        if not blocks:
            continue
        rows = pl.concat([f.with_columns(pl.lit(b, pl.String).alias(_BSID)) for b, f in blocks])
        extracts[extract] = folder / f"pae-{extract}.parquet"
        _write_owner_only(rows, extracts[extract])
    files: dict[str, set[str]] = {}
    for (_extract, bsid), name in pae_set.files.items():
        files.setdefault(name, set()).add(bsid)
    return StagedPae(folder, extracts, {name: frozenset(b) for name, b in files.items()})


def _write_owner_only(rows: pl.DataFrame, path: Path) -> None:
    """Write `rows` as a new Parquet file only its owner can read, whatever the umask
    (row groups of 50,000 rows, so a read of a few BSIDs skips most of a big extract)."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        rows.write_parquet(file, statistics=True, row_group_size=50_000)
