"""What to plan: one request type for generate, explain and board, and how it is built from
what the command line and the board's configuration file say.

Every command that plans a BSID builds its request here, so the same options and the same
configuration file give the same plan whichever command asks (D450).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from onsis_batch.errors import InputError, UsageError
from onsis_batch.findings import Finding, has_errors
from onsis_batch.period.clear_flags import effective
from onsis_batch.period.config import BoardConfig, CommandLine, load_config, run_settings
from onsis_batch.period.options import RunOptions
from onsis_batch.sources.db_address import parse_database
from onsis_batch.sources.origin import DataSource, data_source, read_table_map


@dataclass(frozen=True)
class PlanRequest:
    """The school data, the PAE extracts, the BSIDs, the period and the submission settings.

    `bsids` holds the one BSID of generate and explain; for a board, the BSIDs asked for
    (none: every BSID with a reporting school).
    """

    data: Path | str | DataSource  # a folder, a database URI or file, or a DataSource
    pae_dir: Path | None  # None: a first submission, OnSIS holds nothing yet (--no-pae)
    kind: str  # oct, mar or jun
    school_year: str
    bsids: tuple[str, ...] = ()
    private: bool = False
    options: RunOptions = field(default_factory=RunOptions)
    overrides_file: Path | None = None  # registrar overrides, applied after every rule

    @property
    def bsid(self) -> str:
        """The BSID of a one-school request (generate, explain)."""
        if len(self.bsids) != 1:
            raise UsageError(f"give one BSID, not {len(self.bsids)}")
        return self.bsids[0]

    def for_bsids(self, bsids: Sequence[str]) -> PlanRequest:
        """The same request for other BSIDs (a board's share, or its resolved list)."""
        return replace(self, bsids=tuple(bsids))

    def manifest_settings(self, bsid: str) -> dict[str, Any]:
        """How a BSID's run was asked, as its manifest records it (passwords masked)."""
        return {
            "bsid": bsid,
            "period": self.kind,
            "school_year": self.school_year,
            "private": self.private,
            "data": data_source(self.data).label,
            "pae": str(self.pae_dir or ""),
            "clear_flags": effective(self.options.clear_flags),  # D762
            "reupload": self.options.reupload,
        }


def build_request(
    data: str | Path,
    pae_dir: Path | None,
    *,
    kind: str,
    school_year: str,
    bsids: Sequence[str] = (),
    given: CommandLine | None = None,
    config_file: Path | None = None,
    table_map: Path | None = None,
    overrides_file: Path | None = None,
    allow_unknown_columns: bool = False,
) -> tuple[PlanRequest, list[Finding]]:
    """The request the command line describes, over the configuration file (D310), and the
    file's findings that do not stop the run. `allow_unknown_columns` (or the file's `run:
    allow_unknown_columns`) makes a column named like a contract column a warning; the
    file's `code_mappings` add the shipped mappings it names under the data's own.

    InputError when the configuration file has errors; UsageError when the table map does
    not fit the data source.
    """
    config, notes = read_config(config_file)
    private, options = run_settings(config, given or CommandLine())
    source = open_source(data, table_map, config)
    if allow_unknown_columns or (config is not None and config.allow_unknown_columns):
        source = replace(source, allow_unknown_columns=True)  # SRC021 only warns
    if config is not None and config.code_mappings:  # e.g. country: iso3166 (D945)
        source = replace(source, shipped_mappings=tuple(sorted(config.code_mappings.items())))
    request = PlanRequest(
        source, pae_dir, kind, school_year, tuple(bsids), private, options, overrides_file
    )
    return request, notes


def read_config(path: Path | None) -> tuple[BoardConfig | None, list[Finding]]:
    """The board configuration (None without a file) and its findings; InputError on errors."""
    if path is None:
        return None, []
    config, findings = load_config(path)
    if has_errors(findings):
        raise InputError(findings)
    return config, findings


def open_source(
    data: str | Path, table_map: Path | None, config: BoardConfig | None = None
) -> DataSource:
    """The data source with its table map: the `--table-map` file, else the configuration
    file's `tables:` for a database; UsageError when they do not fit."""
    try:
        if table_map is not None:
            mapping = read_table_map(table_map)
        elif config is not None and config.tables and parse_database(data) is not None:
            mapping = config.tables
        else:
            mapping = None
        return data_source(data, mapping)
    except ValueError as problem:
        raise UsageError(str(problem)) from None
