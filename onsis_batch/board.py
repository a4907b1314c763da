"""Run many BSIDs of one board: inputs are loaded once per worker process.

Schools are independent, so the BSIDs are split across worker processes; each worker
loads the school data and the PAE extracts once and then plans and publishes its BSIDs
one after another, keeping only one school's plan in memory at a time.
"""

from __future__ import annotations

import multiprocessing
import resource
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from onsis_batch.findings import InputError
from onsis_batch.pipeline import RunResult, load_inputs, run_bsid


@dataclass(frozen=True)
class WorkerReport:
    results: list[RunResult]
    peak_rss_mb: float


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _run_share(
    data_dir: Path,
    pae_dir: Path | None,
    out_dir: Path,
    bsids: list[str],
    kind: str,
    school_year: str,
    created: datetime,
    private: bool,
) -> WorkerReport:
    try:
        inputs, periods = load_inputs(
            data_dir, pae_dir, kind=kind, school_year=school_year, bsids=bsids, private=private
        )
    except InputError as problem:
        return WorkerReport(
            [RunResult(bsid=b, findings=problem.findings) for b in bsids], _peak_rss_mb()
        )
    results = []
    for bsid in bsids:
        results.append(run_bsid(inputs, periods[bsid], out_dir, created=created).without_plan())
    return WorkerReport(results, _peak_rss_mb())


def generate_many(
    data_dir: Path,
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
    if len(shares) == 1:
        return [
            _run_share(data_dir, pae_dir, out_dir, shares[0], kind, school_year, created, private)
        ]
    # spawn, not fork: a forked child inherits polars' thread pool in a locked state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(shares), mp_context=context) as pool:
        futures = [
            pool.submit(
                _run_share, data_dir, pae_dir, out_dir, share, kind, school_year, created, private
            )
            for share in shares
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
    print(f"files {written}/{len(results)} students {sum(r.students for r in results)}")
    return 0 if written == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
