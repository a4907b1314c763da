"""Will a comparison fit in memory? Checked before `diff` or `results` reads anything.

A file that does not fit used to end the run with the system killing it (or swapping the
machine to a halt); now it is refused with a finding giving the figures (D714). The need
is estimated from the input sizes with the factors measured by `benchmarks/bench_diff.py`
(docs/performance.md), and compared with the memory the system says is available.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import psutil

from onsis_batch.findings import Finding, finding

BASE_BYTES = 300e6  # the interpreter, polars and lxml before any file is read
BYTES_PER_INPUT_BYTE = 2.0  # peak growth per byte read (bench_diff: 0.5-1.6, with a margin)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def needed_bytes(inputs: Iterable[Path]) -> int:
    """The estimated peak memory of reading and comparing `inputs` (files or folders)."""
    return int(BASE_BYTES + BYTES_PER_INPUT_BYTE * sum(_size(p) for p in inputs))


def memory_findings(code: str, inputs: list[Path], available: int | None = None) -> list[Finding]:
    """`code` (DIF002, RES004) when the inputs need more memory than is available."""
    free = psutil.virtual_memory().available if available is None else available
    need = needed_bytes(inputs)
    if need <= free:
        return []
    return [
        finding(
            code,
            file=", ".join(str(p) for p in inputs),
            size=_megabytes(sum(_size(p) for p in inputs)),
            need=_megabytes(need),
            available=_megabytes(free),
        )
    ]


def _megabytes(count: float) -> str:
    return f"{count / 1e6:,.0f} MB"
