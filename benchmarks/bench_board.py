"""`make bench-board`: a whole board the size of Ontario's largest, end to end.

110 schools, 80,000 students (~640,000 class enrolments) synthesised first (not timed),
then `onsis-batch board` with one worker and with two, each in a child process: wall
time, CPU time, peak memory per worker (from the workers themselves) and of the whole
process tree (sampled), and the speed-up of two workers over one. Targets (issue 7):
<= 60 s wall on 2 cores, <= 1 GB peak per worker, speed-up >= 1.7x.
"""

from __future__ import annotations

import os
import sys

from bench import ROOT, _synth, bench_board

TARGETS = {"wall_s": 60.0, "worker_mb": 1024.0, "speedup": 1.7}
STUDENTS, SCHOOLS = 80_000, 110


def main() -> None:
    ROOT.mkdir(exist_ok=True)
    print(f"onsis-batch board benchmark, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    data = _synth("largest_board", STUDENTS, SCHOOLS)
    runs = {workers: bench_board(workers, data, "largest_board") for workers in (1, 2)}
    print()
    for workers, run in runs.items():
        worst = max(run["worker_peaks_mb"])
        ok = run["wall_s"] <= TARGETS["wall_s"] and worst <= TARGETS["worker_mb"]
        print(
            f"board/{workers}  wall {run['wall_s']:6.1f} s (target {TARGETS['wall_s']:.0f})  "
            f"CPU {run['cpu_s']:6.1f} s  worker peak {worst:5.0f} MB "
            f"(target {TARGETS['worker_mb']:.0f})  tree peak {run['memory_mb']:5.0f} MB  "
            f"{'ok' if ok else 'MISSED'}   ({run['note']})"
        )
    speedup = runs[1]["wall_s"] / runs[2]["wall_s"]
    verdict = "ok" if speedup >= TARGETS["speedup"] else "MISSED"
    print(f"speed-up with 2 workers: {speedup:.2f}x (target {TARGETS['speedup']}x) {verdict}")


if __name__ == "__main__":
    main()
