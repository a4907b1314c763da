"""One run at a time per output folder, and no leftovers from a run that was killed.

Cron can start a run while the previous one is still going; two runs writing the same
folder would interleave files of different moments. The lock is an advisory `flock` on a
file in the output folder: the kernel releases it when the process ends, however it ends,
so a killed run never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from onsis_batch.errors import OutputInUse
from onsis_batch.findings import finding

LOCK_NAME = ".onsis-batch.lock"
TEMPORARY = ".*.tmp"  # how `output.publish` (and every atomic writer) names its work files


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; OutputInUse (RUN002) when another run has it.

    Once the lock is held, work files a killed run left behind are removed: they were
    never published, and nobody else can be writing them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OutputInUse([finding("RUN002", file=str(out_dir))]) from None
    try:
        for stale in out_dir.glob(TEMPORARY):
            stale.unlink(missing_ok=True)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
