"""How soon a `board` run shows something on a terminal (issue 14: within the first second).

Runs `onsis-batch board` on a pseudo-terminal (so the live display is on, as for a person
at a console) and prints the seconds from the start to its first byte of output, and the
whole run's. Synthesise a board first, e.g.

    onsis-batch synth --schools 20 --students 6000 --seed 5 --out /tmp/b20
    python benchmarks/first_output.py /tmp/b20/data /tmp/b20/pae/OCTSEC1 --runs 3
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def first_output(data: Path, pae: Path, out: Path) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds to the end, exit code) of one board run."""
    args = [sys.executable, "-m", "onsis_batch", "board", "--data", str(data), "--pae", str(pae)]
    args += ["--period", "oct", "--year", "2025-2026", "--out", str(out)]
    args += ["--timestamp", "2025-10-31T09:00:00"]
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    first = None
    while True:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            first = time.perf_counter() - start if first is None else first
        elif proc.poll() is not None:
            break
    proc.wait()
    os.close(master)
    return (first or float("nan")), time.perf_counter() - start, proc.returncode


def main() -> None:
    """Time `--runs` board runs and print each one's first output."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("pae", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}")
    for run in range(options.runs):
        with tempfile.TemporaryDirectory() as out:
            first, total, code = first_output(options.data, options.pae, Path(out) / "out")
        print(f"run {run + 1}: first output after {first:.2f} s; run {total:.1f} s; exit {code}")


if __name__ == "__main__":
    main()
