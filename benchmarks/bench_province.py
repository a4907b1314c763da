"""`make bench-province`: a synthetic province in one `onsis-batch board` run.

880 schools, 700,000 students, synthesised first (not timed; minutes, so the data set is
kept in bench_out/province and reused while its sizes are the same), then one board run
with 2 workers: wall and CPU time beside the floor measured in the same run, peak memory
per worker and of the whole process tree, and the CPU cost per student (to compare with
the largest board's). Targets (issue 16): <= 150 s wall, <= 1 GB per worker.
"""

from __future__ import annotations

import argparse
import os
import sys

from bench import ROOT, _synth, bench_board, board_lines

TARGETS = {"wall_s": 150.0, "worker_mb": 1024.0}
STUDENTS, SCHOOLS = 700_000, 880


def main() -> None:
    """Synthesise (or reuse) the province, run it once with 2 workers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ROOT.mkdir(exist_ok=True)
    version = sys.version.split()[0]
    print(f"onsis-batch province benchmark, {os.cpu_count()} cores, python {version}")
    data = _synth("province", STUDENTS, SCHOOLS)
    run = bench_board(args.workers, data, "province")
    print()
    for line in board_lines(f"province/{args.workers}", run):
        print(line)
    worst = max(run["worker_peaks_mb"] or [0.0])
    ok = run["wall_s"] <= TARGETS["wall_s"] and worst <= TARGETS["worker_mb"]
    print(
        f"{'':<12} targets: <= {TARGETS['wall_s']:.0f} s, <= {TARGETS['worker_mb']:.0f} MB "
        f"per worker: {'ok' if ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
