"""Where one BSID's CPU goes: a board worker's steps, timed stage by stage (issue 16).

A small board is synthesised once (kept in bench_out/ and reused), staged and loaded once,
then each BSID is planned, checked, rendered and validated the way a board worker does it
(`share_inputs` over chunks of `SHARE_BSIDS`, `plan_bsid`, `check_plan`, `render_plan`,
`validate_file`), with `time.process_time` around each stage: CPU seconds, which stay
comparable on a shared machine where wall time does not. Polars runs on one thread, as in
a worker of a two-worker board on two cores.

The first pass warms the process (specs, XSD, polars' plans); each stage's figure is its
quickest of the following `--passes`, per BSID. `--count-calls` also counts the polars
calls of each stage (DataFrame methods, LazyFrame.collect, collect_all; a call made inside
another is not counted again). The digest printed last covers every file's bytes and
every BSID's findings: a change that keeps it keeps the output.

    .venv/bin/python benchmarks/profile_bsid.py [--schools 10 --students 4000 --period oct]
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before polars loads: a worker's one core

import argparse
import functools
import hashlib
import io
import json
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.render.xml import render_plan
from onsis_batch.run import planning
from onsis_batch.run.board import SHARE_BSIDS
from onsis_batch.run.request import PlanRequest
from onsis_batch.segments import build
from onsis_batch.sources import stage_folder
from onsis_batch.synth import synthesize
from onsis_batch.validate.batch_file import check_plan, validate_file

ROOT = Path(__file__).resolve().parent.parent / "bench_out"
YEAR = "2025-2026"
CREATED = datetime(2026, 6, 30, 9, 0)


class Clock:
    """CPU seconds and polars calls by stage; stages may nest (a builder inside planning)."""

    def __init__(self) -> None:
        self.passes: list[dict[str, float]] = []  # CPU seconds by stage, one dict a pass
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[str] = []
        self.order: list[str] = []  # stages in the order they were first entered
        self.on = False

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.stack.append(name)
        if name not in self.order:
            self.order.append(name)
        started = time.process_time()
        try:
            yield
        finally:
            if self.on:
                self.passes[-1][name] += time.process_time() - started
            self.stack.pop()

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return function(*args, **kwargs)

        return wrapper

    def count(self) -> None:
        if self.on and self.stack:
            self.calls[self.stack[-1]] += 1


def count_polars_calls(clock: Clock) -> None:
    """Wrap polars' entry points so each top-level call counts for the stage it is made in."""
    depth = [0]

    def counted(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                clock.count()
            depth[0] += 1
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1

        return wrapper

    for name, member in vars(pl.DataFrame).items():
        if callable(member) and not name.startswith("_") and name != "lazy":
            setattr(pl.DataFrame, name, counted(member))
    pl.LazyFrame.collect = counted(pl.LazyFrame.collect)  # type: ignore[method-assign]
    pl.collect_all = counted(pl.collect_all)


def board(students: int, schools: int, seed: int, kind: str) -> tuple[Path, list[str]]:
    """The synthetic board's folder and BSIDs, synthesised unless bench_out/ holds it."""
    folder = ROOT / f"profile_{schools}x{students}_s{seed}"
    marker = folder / "synth.json"
    if marker.exists():
        kept = json.loads(marker.read_text())
        if kind in kept["kinds"]:
            return folder, kept["bsids"]
    shutil.rmtree(folder, ignore_errors=True)
    kinds = ("oct", "mar", "jun")
    summary = synthesize(folder, students=students, schools=schools, seed=seed, periods=kinds)
    pae = {k: str(p.relative_to(folder)) for k, p in summary.pae_dirs.items()}
    marker.write_text(json.dumps({"bsids": list(summary.bsids), "kinds": kinds, "pae": pae}))
    return folder, list(summary.bsids)


def main() -> None:
    """Synthesise (or reuse), stage and load the board, then time each BSID's stages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--students", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--period", choices=("oct", "mar", "jun"), default="oct")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--count-calls", action="store_true")
    args = parser.parse_args()

    folder, bsids = board(args.students, args.schools, args.seed, args.period)
    pae_dir = folder / json.loads((folder / "synth.json").read_text())["pae"][args.period]
    request = PlanRequest(folder / "data", pae_dir, args.period, YEAR, tuple(bsids))
    clock = Clock()
    if args.count_calls:
        count_polars_calls(clock)
    # Only the script's copies are wrapped: the package's code is what runs.
    build.BUILDERS = tuple(clock.timed(f"  {b.__name__}", b) for b in build.BUILDERS)  # type: ignore[misc]
    build.children_of_adds_are_adds = clock.timed("  parent-add", build.children_of_adds_are_adds)
    build.not_sent = clock.timed("  not-sent", build.not_sent)
    planning.tables_for_bsid = clock.timed(" slice", planning.tables_for_bsid)
    planning.unsendable_values = clock.timed(" value check", planning.unsendable_values)

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        staged = stage_folder(request.data, Path(scratch) / "stage")
        inputs, periods = planning.load_staged_inputs(staged, request)
        print(f"staged and loaded {len(bsids)} BSIDs in {time.perf_counter() - started:.1f} s")
        chunks = [bsids[i : i + SHARE_BSIDS] for i in range(0, len(bsids), SHARE_BSIDS)]
        shares = [planning.share_inputs(staged, inputs, [periods[b] for b in c]) for c in chunks]
        digest = hashlib.sha256()
        students = 0
        for number in range(1 + args.passes):
            clock.on = number > 0
            clock.passes.append(defaultdict(float))
            for chunk, share in zip(chunks, shares, strict=True):
                share = replace(share, shared={})  # each pass computes the chunk's values anew
                for bsid in chunk:
                    file = Path(scratch) / f"{bsid}.xml"
                    with clock.stage("plan"):
                        result = planning.plan_bsid(share, periods[bsid], today=CREATED.date())
                    assert result.result.planned, f"{bsid} not planned"
                    with clock.stage("publish"):
                        with clock.stage(" plan checks"):
                            findings = check_plan(result.plan)
                        with clock.stage(" render"):
                            buffer = io.BytesIO()
                            findings += render_plan(result.plan, buffer, created=CREATED)
                            file.write_bytes(buffer.getvalue())
                        with clock.stage(" XSD validation"):
                            findings += validate_file(file)
                    if number == 1:
                        digest.update(buffer.getvalue())
                        found = [*result.result.findings, *findings]
                        digest.update("\n".join(sorted(map(str, found))).encode())
                        students += result.result.students

    # The quickest pass of each stage: on a shared machine, other processes only ever
    # add to a stage's CPU time (cache and memory contention), so the minimum is the
    # figure that travels best.
    measured = clock.passes[1:]
    best = {name: min(p[name] for p in measured) / len(bsids) for name in clock.order}
    runs = len(bsids) * args.passes
    print(
        f"{len(bsids)} BSIDs, {students / len(bsids):.0f} students each on average, "
        f"period {args.period}, the quickest of {args.passes} pass(es) after a warm-up; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(f"{'stage':<36} {'CPU ms/BSID':>12} {'polars calls':>13}")
    for name in clock.order:
        calls = f"{clock.calls[name] / runs:.0f}" if args.count_calls else "-"
        print(f"{name:<36} {1000 * best[name]:>12.1f} {calls:>13}")
    print(f"{'plan + publish':<36} {1000 * (best['plan'] + best['publish']):>12.1f}")
    print(f"output digest {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
