"""Child processes of a run die with it: a killed `board` leaves no worker behind.

`kill -9` of the board process gives its children no chance to be told. Left alone they
would go on planning and publishing files after the output folder's lock died with their
parent, and keep the caller's stdout open (`onsis-batch board | mail` would never end).
So each child, as it starts (`die_with_parent`):

- asks Linux to send it SIGKILL when its parent ends (`PR_SET_PDEATHSIG`), where there is
  such a thing;
- runs a thread that looks at the parent every few tenths of a second (by process id and
  start time, so a new process reusing the id is not taken for it) and ends the child when
  the parent is gone: macOS, Windows, and a parent gone before the request was made.

And right before it publishes a file, a child checks once more (`publish_guard`): nothing
is published unless the process holding the lock is still there.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

import psutil

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 0.25
ORPHANED = 70  # exit status of a child whose parent was gone (EX_SOFTWARE)

_parent: psutil.Process | None = None  # in a child: the process it must not outlive


def die_with_parent(parent_pid: int) -> None:
    """In a child process: end it as soon as the process `parent_pid` ends."""
    global _parent
    try:
        _parent = psutil.Process(parent_pid)
    except psutil.NoSuchProcess:
        os._exit(ORPHANED)
    if sys.platform.startswith("linux"):
        _ask_linux(PR_SET_PDEATHSIG)
    _end_if_orphaned()  # the parent may have gone before the request above
    threading.Thread(target=_watch, name="parent-watch", daemon=True).start()


def publish_guard() -> None:
    """In a child process: end it now if its parent (which holds the output folder's lock)
    is gone, so that it never publishes a file once the lock is let go."""
    _end_if_orphaned()


def _ask_linux(option: int) -> None:
    """prctl(option, SIGKILL); a C library without prctl leaves the watch thread alone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, 9, 0, 0, 0)  # 9: SIGKILL
    except (OSError, AttributeError):
        pass


def _end_if_orphaned() -> None:
    if _parent is not None and _gone(_parent):
        os._exit(ORPHANED)


def _gone(parent: psutil.Process) -> bool:
    """Whether the parent has ended: adopted by another process (POSIX), or no longer
    running, or a zombie not yet reaped by whoever started it."""
    if os.name == "posix" and os.getppid() != parent.pid:
        return True
    try:
        return not parent.is_running() or parent.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _watch() -> None:
    while True:
        time.sleep(POLL_SECONDS)
        _end_if_orphaned()
