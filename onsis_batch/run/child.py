"""How a board's child process (the staging process, a worker) starts.

The pool runs these first, before the child loads anything heavy: this module imports only
the standard library and `parent_watch` (psutil), so a child whose board is killed while
it starts up notices within a fraction of a second, not after polars has loaded.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from onsis_batch.run.parent_watch import die_with_parent

OWNER_ONLY_UMASK = 0o077

_results: Any = None  # in a worker: the queue its results go to


def start_child(parent_pid: int) -> None:
    """In a child process, first: leave Ctrl-C to the board process (which ends its
    children), die with it, and make every file owner-only whatever the umask."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)
    os.umask(os.umask(OWNER_ONLY_UMASK) | OWNER_ONLY_UMASK)


def start_worker(results: Any, parent_pid: int) -> None:
    """In a worker process, first: `start_child`, and remember where results go."""
    global _results
    start_child(parent_pid)
    _results = results


def send_result(result: Any) -> None:
    """In a worker process: put a finished result on the board's queue."""
    _results.put(result)
