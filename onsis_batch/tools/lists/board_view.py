"""The transmission status as a list (`lists transmission`), and the board view `board`
writes beside its summary: transmission-status-<period>-<year>.csv and .html."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onsis_batch.period.periods import default_period_code
from onsis_batch.tools.lists.output import ListResult, write_list
from onsis_batch.tools.lists.rules import list_rules
from onsis_batch.tools.lists.transmission import transmission_status

TRANSMISSION = "transmission"


def transmission_list(
    out_dir: Path,
    *,
    results_dir: Path | None = None,
    kind: str | None = None,
    school_year: str | None = None,
) -> ListResult:
    """The transmission status of an output folder, for one period or all."""
    status = transmission_status(
        out_dir, results_dir=results_dir, kind=kind, school_year=school_year
    )
    code = default_period_code(kind, school_year)[0] if kind and school_year else None
    scope: dict[str, Any] = {"period": code, "school_year": school_year, "out_dir": str(out_dir)}
    scope["bsids"] = status.rows.get_column("bsid").to_list()
    return ListResult(list_rules()[TRANSMISSION], status.rows, scope, status.findings)


def list_file_name(name: str, kind: str | None, school_year: str | None, bsid: str = "") -> str:
    """`<list>[-<kind>-<year>][-<bsid>]`: the files' name without suffix."""
    parts = [name if name != TRANSMISSION else "transmission-status"]
    parts += [kind, school_year] if kind and school_year else []
    return "-".join([*parts, *([bsid] if bsid else [])])


def write_transmission_status(
    out_dir: Path, kind: str, school_year: str, lang: str = "en"
) -> list[Path]:
    """The board view beside a board summary: transmission-status-<kind>-<year>.csv/.html."""
    listed = transmission_list(out_dir, kind=kind, school_year=school_year)
    return write_list(listed, out_dir, list_file_name(TRANSMISSION, kind, school_year), lang)
