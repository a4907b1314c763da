"""Delete old outputs: submissions hold personal information, kept no longer than needed.

Two rules, usable together: files older than some days, and only the newest N batch files
per BSID. A batch file goes with its companions (manifest, anything named after it).
Board summaries follow the same rules. The output folder is locked while files go.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from onsis_batch.render.publish import unusable
from onsis_batch.run.lock import output_lock

BATCH_FILES = "ONSIS_*.xml"
SUMMARIES = "board-summary-*.json"
DAY = 86_400


def purge(
    out_dir: Path,
    *,
    older_than_days: float | None = None,
    keep: int | None = None,
    now: float | None = None,
    dry_run: bool = False,
) -> list[Path]:
    """Remove (or, with dry_run, only list) the outputs the rules let go; sorted paths.

    InputError (RUN003) when `out_dir` cannot be looked at (a name too long...)."""
    try:
        if not out_dir.is_dir():
            return []
    except OSError as problem:
        raise unusable(out_dir, problem.strerror or type(problem).__name__) from None
    with output_lock(out_dir):
        doomed = _doomed(out_dir, older_than_days, keep, time.time() if now is None else now)
        if not dry_run:
            for path in doomed:
                path.unlink(missing_ok=True)
    return doomed


def _doomed(out_dir: Path, days: float | None, keep: int | None, now: float) -> list[Path]:
    batches = sorted(out_dir.glob(BATCH_FILES))
    summaries = sorted(out_dir.glob(SUMMARIES))
    chosen: set[Path] = set()
    if days is not None:
        cutoff = now - days * DAY
        chosen |= {p for p in [*batches, *summaries] if p.stat().st_mtime < cutoff}
    if keep is not None:
        groups: dict[str, list[Path]] = {}
        for path in batches:
            groups.setdefault(path.stem.rsplit("_", 1)[-1], []).append(path)
        groups["summaries"] = summaries
        for paths in groups.values():
            chosen |= set(_newest_first(paths)[keep:])
    companions = {c for p in chosen if p.suffix == ".xml" for c in _companions(out_dir, p)}
    return sorted(chosen | companions)


def _newest_first(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def _companions(out_dir: Path, batch: Path) -> list[Path]:
    """Files named after a batch file (`<name>.manifest.json`, `<stem>.manifest.json`...)."""
    return [p for p in out_dir.glob(f"{batch.stem}.*") if p != batch]
