"""Run many BSIDs of one board: the school data is checked once, then shared out.

The board's data is loaded and checked once, in a process of its own, and staged as typed
Parquet in a private folder inside the locked output folder (`sources.stage_folder`).
Schools are independent, so the BSIDs are split across worker processes; each worker reads
from the stage only the rows of the students of a few of its BSIDs at a time, and plans and
publishes those BSIDs one after another, keeping only one school's plan in memory at a time.

Each school is isolated: bad rows, a bad PAE block or an internal error stop only the BSIDs
they concern (`ownership`), and every BSID still gets its own result. Every child process
dies with the board process and publishes nothing once it is gone (`parent_watch`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from onsis_batch.errors import InputError, debugging
from onsis_batch.findings import Finding, finding, has_errors
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.outcome import BoardRun, Inputs, RunResult
from onsis_batch.run.child import send_result, start_child, start_worker
from onsis_batch.run.lock import STAGE_PREFIX, output_lock
from onsis_batch.run.manifest import describe_inputs, input_files, manifest_companion
from onsis_batch.run.ownership import FindingOwners
from onsis_batch.run.pae_stage import StagedPae, stage_pae
from onsis_batch.run.parent_watch import publish_guard
from onsis_batch.run.pipeline import run_bsid
from onsis_batch.run.planning import load_staged_inputs, share_inputs
from onsis_batch.run.request import PlanRequest
from onsis_batch.sources import StagedData, stage_folder

# BSIDs whose students a worker holds at once: reading the stage costs a fixed ~0.5 s per
# read, holding a board's worth of students costs ~0.5 GB per 75,000 students.
SHARE_BSIDS = 10

# spawn, not fork: a forked child inherits polars' thread pool in a locked state (and
# Windows has no fork), so every platform starts its workers the same way.
_SPAWN = multiprocessing.get_context("spawn")

Done = Callable[[RunResult], None]
Staged = Callable[[], None]  # told when the school data is staged and the schools start


@dataclass(frozen=True)
class Job:
    """What every worker needs to know; the same for all of them."""

    staged: StagedData
    request: PlanRequest  # the board's request; a worker plans its share of the BSIDs
    out_dir: Path
    created: datetime
    inputs: list[dict[str, Any]] = field(default_factory=list)  # hashed once, for manifests
    # Which BSIDs each school-data finding concerns; worked out once, by the board process.
    owners: FindingOwners = field(kw_only=True)
    pae: StagedPae | None = field(default=None, kw_only=True)  # the extracts, staged by BSID

    def manifest(self, result: RunResult) -> tuple[Path, bytes]:
        """The manifest of a file about to be published, like `generate` writes."""
        request = self.request
        settings = request.manifest_settings(result.bsid) | {"board": True}
        return manifest_companion(
            result, request.data, request.pae_dir, self.created, settings, self.inputs
        )


def _rss_mb() -> float:
    """The resident memory of the process in MB: its peak where the system keeps one (the
    peak working set on Windows), else the present figure, sampled between schools."""
    memory = psutil.Process().memory_info()
    return float(getattr(memory, "peak_wset", memory.rss)) / 2**20


def _internal(bsid: str, findings: list[Finding], step: str, problem: Exception) -> RunResult:
    # Only the exception's type: its message may quote a value from the data. The full
    # traceback goes to stderr only when asked for (--debug / ONSIS_BATCH_DEBUG=1).
    if debugging():
        traceback.print_exception(problem, file=sys.stderr)
    failed = finding("RUN001", key=bsid, error=type(problem).__name__, step=step)
    return RunResult(bsid=bsid, findings=[*findings, failed])


def _run_one(
    inputs: Inputs, owners: FindingOwners, bsid: str, period: SubmissionPeriod, job: Job
) -> RunResult:
    """One BSID, whatever happens: a failure becomes its result, never the worker's end."""
    started = time.perf_counter()
    try:
        findings = [*inputs.findings, *owners.for_bsid(inputs, period)]
        if has_errors(findings):
            result = RunResult(bsid=bsid, period=period, findings=findings)
        else:
            result = run_bsid(
                inputs,
                period,
                job.out_dir,
                created=job.created,
                findings=findings,
                manifest=job.manifest,
                before_publish=publish_guard,  # in a worker: only while the board runs
            )
    except Exception as problem:
        result = _internal(bsid, list(inputs.findings), "planning and writing its file", problem)
    result.seconds = time.perf_counter() - started
    return result.without_plan()


Share = tuple[Inputs, dict[str, SubmissionPeriod], list[str]]


def _load_share(job: Job, bsids: list[str], done: Done) -> Share:
    """Periods and PAE of the BSIDs that have usable ones; the others are reported done.

    With the extracts staged (and none of this share's findings), `pae` is left empty and
    read a chunk at a time (`_chunk_inputs`)."""
    try:
        staged_pae = job.pae is not None and job.pae.covers(bsids)
        request = job.request.for_bsids(bsids)
        board, periods = load_staged_inputs(job.staged, request, pae_staged=staged_pae)
        return board, periods, bsids
    except InputError:
        if len(bsids) == 1:
            raise
    usable = []
    for bsid in bsids:  # find the BSIDs at fault, one at a time
        try:
            _load_share(job, [bsid], done)
            usable.append(bsid)
        except InputError as problem:
            done(RunResult(bsid=bsid, findings=problem.findings))
    if not usable:
        return Inputs({}, {}, []), {}, []
    return _load_share(job, usable, done)


def _run_share(job: Job, bsids: list[str], done: Done) -> float:
    """Generate `bsids` one by one, calling `done` with each result; the peak RSS in MB
    (the highest figure seen after each school and each read of the stage).

    `job.staged` carries only the board-wide findings; `job.owners` places the others.
    """
    owners = job.owners
    try:
        board, periods, usable = _load_share(job, bsids, done)
    except InputError as problem:
        for bsid in bsids:
            done(RunResult(bsid=bsid, findings=problem.findings))
        return _rss_mb()
    seen = [_rss_mb()]
    for start in range(0, len(usable), SHARE_BSIDS):
        chunk = usable[start : start + SHARE_BSIDS]
        try:
            inputs = share_inputs(
                job.staged, _chunk_inputs(job, board, chunk), [periods[b] for b in chunk]
            )
        except Exception as problem:
            for bsid in chunk:
                done(_internal(bsid, board.findings, "reading its students' data", problem))
            continue
        seen.append(_rss_mb())
        for bsid in chunk:
            done(_run_one(inputs, owners, bsid, periods[bsid], job))
            seen.append(_rss_mb())
        del inputs  # before the next chunk's rows are read
    return max(seen)


def _chunk_inputs(job: Job, board: Inputs, chunk: list[str]) -> Inputs:
    """`board` with the PAE of the chunk's BSIDs, read from the stage when the share's
    extracts were left there (`_load_share`)."""
    if board.pae or job.pae is None:
        return board
    return replace(board, pae=job.pae.chunk_pae(chunk))


# --- worker processes ------------------------------------------------------------------------


def _worker(job: Job, bsids: list[str]) -> float:
    return _run_share(job, bsids, report)


def report(result: RunResult) -> None:
    """In a worker process: hand a finished BSID's result to the board process."""
    send_result(result)


@contextmanager
def _worker_environment(workers: int) -> Iterator[None]:
    """Settings the worker processes start with (they read them when polars loads).

    Each worker gets its share of the cores, so that workers x threads never exceeds them.
    (The allocator keeps polars' defaults: returning freed pages at once cost a third of
    the board's time in system calls, and workers holding ten schools need little memory.)
    """
    threads = max(1, (os.cpu_count() or 1) // workers)
    settings = {
        # A thread count the user set wins.
        "POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", str(threads)),
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stage_in_child(request: PlanRequest, folder: Path) -> tuple[StagedData, StagedPae | None]:
    """Stage the board's school data, then its PAE extracts, in a process of its own, so
    the memory it took goes back at its end."""
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=_SPAWN, initializer=start_child, initargs=(os.getpid(),)
    )
    with pool, _ended_on_interrupt(pool):
        staged = pool.submit(stage_folder, request.data, folder).result()
        return staged, pool.submit(stage_pae, staged, request, folder).result()


@contextmanager
def _ended_on_interrupt(pool: ProcessPoolExecutor) -> Iterator[None]:
    """The block; when it is interrupted (Ctrl-C) the pool's processes are ended at once
    rather than waited for, so the run stops before its lock and stage are let go."""
    try:
        yield
    except BaseException:
        # Python 3.14 has `terminate_workers()`; before it, the processes are only held in
        # the executor's `_processes`.
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        raise


def _in_workers(
    job: Job, shares: list[list[str]], done: Done, work: Callable[..., float] | None = None
) -> list[float]:
    """Run the shares in worker processes, passing each result to `done` as it arrives.

    `work(job, share)` runs in a worker and sends each result with `report`.
    """
    results = _SPAWN.Queue()
    pool = ProcessPoolExecutor(
        max_workers=len(shares),
        mp_context=_SPAWN,
        initializer=start_worker,
        initargs=(results, os.getpid()),
    )
    expected = sum(map(len, shares))
    # The results are drained while the pool runs: a worker cannot finish until what it
    # put on the queue has been read (the pipe between them holds only so much).
    with pool, _ended_on_interrupt(pool):
        with _worker_environment(len(shares)):
            run = work or _worker
            futures: list[Future[float]] = [pool.submit(run, job, s) for s in shares]
        received = 0
        while received < expected:
            try:
                done(results.get(timeout=0.5))
                received += 1
            except queue.Empty:
                if all(f.done() for f in futures) and results.empty():
                    break  # a worker died: its missing BSIDs are reported by the caller
    return [0.0 if f.exception() else f.result() for f in futures]


def generate_many(
    request: PlanRequest,
    out_dir: Path,
    *,
    created: datetime,
    workers: int = 2,
    on_result: Done | None = None,
    on_staged: Staged | None = None,
) -> BoardRun:
    """Generate one file per BSID of the request with `workers` processes.

    The output folder is locked for the run (RUN002 for every BSID when another run has
    it). `on_result` is called in this process with each BSID's result as it finishes,
    `on_staged` once the school data is staged.
    """
    started = time.perf_counter()
    bsids = list(request.bsids)
    collected: dict[str, RunResult] = {}

    def done(result: RunResult) -> None:
        collected[result.bsid] = result
        if on_result is not None:
            on_result(result)

    try:
        with output_lock(out_dir), _stage_folder(out_dir) as folder:
            staged, peaks = _stage_and_run(
                request, out_dir, created, folder, workers, done, on_staged
            )
    except InputError as problem:  # the folder is locked
        for bsid in bsids:
            done(RunResult(bsid=bsid, findings=problem.findings))
        return BoardRun([collected[b] for b in bsids], seconds=time.perf_counter() - started)
    for bsid in bsids:
        if bsid not in collected:  # its worker process ended without a word
            done(_internal(bsid, [], "running in a worker process", ChildProcessError()))
    return BoardRun(
        results=[collected[b] for b in bsids],
        data_findings=staged.findings,
        worker_peaks_mb=peaks,
        seconds=time.perf_counter() - started,
    )


def _stage_and_run(
    request: PlanRequest,
    out_dir: Path,
    created: datetime,
    folder: Path,
    workers: int,
    done: Done,
    on_staged: Staged | None = None,
) -> tuple[StagedData, list[float]]:
    """Stage the board in `folder`, then run its BSIDs in shares; the stage, the peaks."""
    staged, pae = _stage_in_child(request, folder)
    if on_staged is not None:
        on_staged()
    owners = FindingOwners(staged)
    job = Job(
        replace(staged, findings=owners.board_findings),
        request,
        out_dir,
        created,
        inputs=describe_inputs(input_files(request.data, request.pae_dir)),
        owners=owners,
        pae=pae,
    )
    bsids = list(request.bsids)
    shares = [bsids[i::workers] for i in range(workers) if bsids[i::workers]]
    if len(shares) == 1:
        return staged, [_run_share(job, shares[0], done)]
    return staged, _in_workers(job, shares, done)


@contextmanager
def _stage_folder(out_dir: Path) -> Iterator[Path]:
    """The stage holds the board's personal data: a folder only this user can read (0700,
    its files 0600), inside the locked output folder, removed at the end of the run however
    it ends; one a killed run left is removed by the next run to take the lock."""
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=STAGE_PREFIX) as folder:
        yield Path(folder)
