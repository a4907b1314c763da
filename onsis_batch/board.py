"""Run many BSIDs of one board: the school data is checked once, then shared out.

The board's data is loaded and checked once, in this process, and staged as typed Parquet
in a private temporary folder (`sources.stage_folder`). Schools are independent, so the
BSIDs are split across worker processes; each worker reads from the stage only the rows
of its own BSIDs' students, reads their PAE extracts, and then plans and publishes its
BSIDs one after another, keeping only one school's plan in memory at a time.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from onsis_batch.findings import InputError
from onsis_batch.pipeline import RunResult, load_staged_inputs, run_bsid, share_inputs
from onsis_batch.sources import DataSource, StagedData, stage_folder

# BSIDs whose students a worker holds at once: reading the stage costs a fixed ~0.5 s per
# read, holding a board's worth of students costs ~0.5 GB per 75,000 students.
SHARE_BSIDS = 10

# spawn, not fork: a forked child inherits polars' thread pool in a locked state.
_SPAWN = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class WorkerReport:
    results: list[RunResult]
    peak_rss_mb: float


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run_share(
    staged: StagedData,
    pae_dir: Path | None,
    out_dir: Path,
    bsids: list[str],
    kind: str,
    school_year: str,
    created: datetime,
    private: bool,
) -> WorkerReport:
    try:
        board, periods = load_staged_inputs(
            staged, pae_dir, kind=kind, school_year=school_year, bsids=bsids, private=private
        )
    except InputError as problem:
        return WorkerReport(
            [RunResult(bsid=b, findings=problem.findings) for b in bsids], _peak_rss_mb()
        )
    results = []
    for start in range(0, len(bsids), SHARE_BSIDS):
        chunk = bsids[start : start + SHARE_BSIDS]
        inputs = share_inputs(staged, board, [periods[bsid] for bsid in chunk])
        for bsid in chunk:
            result = run_bsid(inputs, periods[bsid], out_dir, created=created)
            results.append(result.without_plan())
        del inputs  # before the next chunk's rows are read
    return WorkerReport(results, _peak_rss_mb())


@contextmanager
def _worker_environment(workers: int) -> Iterator[None]:
    """Settings the worker processes start with (they read them when polars loads).

    Each worker gets its share of the cores, so that workers x threads never exceeds them,
    and its allocator hands freed memory back to the system at once: several workers
    keeping the pages of their last school would add up.
    """
    threads = max(1, (os.cpu_count() or 1) // workers)
    settings = {
        # A thread count the user set wins.
        "POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", str(threads)),
        "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0",
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)  # polars adds these allocator settings after its defaults
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stage_in_child(data_dir: Path | str | DataSource, folder: Path) -> StagedData:
    """Stage the board in a process of its own, so the memory it took goes back at its end."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as pool:
        return pool.submit(stage_folder, data_dir, folder).result()


def generate_many(
    data_dir: Path | str | DataSource,  # folder, database URI/file or DataSource
    pae_dir: Path | None,
    out_dir: Path,
    *,
    bsids: list[str],
    kind: str,
    school_year: str,
    created: datetime,
    workers: int = 2,
    private: bool = False,
) -> list[WorkerReport]:
    """Generate one file per BSID with `workers` processes; reports per worker."""
    shares = [bsids[i::workers] for i in range(workers) if bsids[i::workers]]
    # The stage holds personal data: a private temporary folder, removed when done.
    with tempfile.TemporaryDirectory(prefix="onsis-batch-stage-") as folder:
        staged = _stage_in_child(data_dir, Path(folder))
        arguments = (pae_dir, out_dir)
        settings = (kind, school_year, created, private)
        if len(shares) == 1:
            return [_run_share(staged, *arguments, shares[0], *settings)]
        pool = ProcessPoolExecutor(max_workers=len(shares), mp_context=_SPAWN)
        with pool, _worker_environment(len(shares)):
            futures = [
                pool.submit(_run_share, staged, *arguments, share, *settings) for share in shares
            ]
        return [f.result() for f in futures]


def main(argv: list[str] | None = None) -> int:
    """`python -m onsis_batch.board DATA PAE OUT PERIOD YEAR WORKERS [STAMP]` (benchmarks).

    The full `board` command, with progress and a board summary, is a later release.
    """
    import sys

    import polars as pl

    args = argv if argv is not None else sys.argv[1:]
    data, pae, out, kind, year, workers = args[:6]
    created = datetime.fromisoformat(args[6]) if len(args) > 6 else datetime.now()
    schools = pl.read_csv(Path(data) / "schools.csv", infer_schema=False)
    open_schools = schools.filter(
        (pl.col("is_closed") != "T")
        & (pl.col("is_excluded") != "T")
        & (pl.col("is_section23") != "T")
    )
    bsids = sorted(set(open_schools.get_column("bsid").to_list()))
    reports = generate_many(
        Path(data),
        Path(pae),
        Path(out),
        bsids=bsids,
        kind=kind,
        school_year=year,
        created=created,
        workers=int(workers),
    )
    results = [r for report in reports for r in report.results]
    written = sum(r.output is not None for r in results)
    peaks = ", ".join(f"{report.peak_rss_mb:.0f}" for report in reports)
    students = sum(r.students for r in results)
    print(f"files {written}/{len(results)} students {students} worker peaks MB {peaks}")
    return 0 if written == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
