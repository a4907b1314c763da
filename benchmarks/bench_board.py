"""`make bench-board`: a whole board the size of Ontario's largest, end to end.

110 schools, 80,000 students (~640,000 class enrolments) synthesised first (not timed,
reused from bench_out/ while the sizes are the same), then `onsis-batch board` with one
worker and with two, each in a child process: wall time, CPU time, peak memory per worker
(from the workers themselves) and of the whole process tree (sampled), each beside its
floor measured in the same run, and the speed-up of two workers over one.
Targets (issues 7 and 16): <= 2.5x the floor on 2 cores, <= 700 MB peak per worker,
speed-up >= 1.7x. `--students N --schools N`: a smaller board while iterating.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench import ROOT, _synth, bench_board, board_lines

TARGETS = {"ratio": 2.5, "worker_mb": 700.0, "speedup": 1.7}
STUDENTS, SCHOOLS = 80_000, 110


def main() -> None:
    """Synthesise (or reuse) the board, run it with one and two workers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--schools", type=int, default=SCHOOLS)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    ROOT.mkdir(exist_ok=True)
    print(f"onsis-batch board benchmark, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    name = "largest_board" if (args.students, args.schools) == (STUDENTS, SCHOOLS) else "board_x"
    data = _synth(name, args.students, args.schools)
    runs = {workers: bench_board(workers, data, name) for workers in args.workers}
    print()
    for workers, run in runs.items():
        worst = max(run["worker_peaks_mb"] or [0.0])
        ok = run["wall_s"] <= TARGETS["ratio"] * run["floor_s"] and worst <= TARGETS["worker_mb"]
        for line in board_lines(f"board/{workers}", run):
            print(line)
        print(
            f"{'':<10} targets: <= {TARGETS['ratio']}x floor, <= {TARGETS['worker_mb']:.0f} MB "
            f"per worker: {'ok' if ok else 'MISSED'}"
        )
    if 1 in runs and 2 in runs:
        speedup = runs[1]["wall_s"] / runs[2]["wall_s"]
        verdict = "ok" if speedup >= TARGETS["speedup"] else "MISSED"
        print(f"speed-up with 2 workers: {speedup:.2f}x (target {TARGETS['speedup']}x) {verdict}")


if __name__ == "__main__":
    main()
