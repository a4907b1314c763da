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
