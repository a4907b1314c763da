"""One run at a time per output folder, and no leftovers from a run that was stopped.

Cron (or the Windows Task Scheduler) can start a run while the previous one is still
going; two runs writing the same folder would interleave files of different moments. The
lock is `filelock`'s lock on a file in the output folder: `flock` on Linux and macOS,
`msvcrt.locking` on Windows. The operating system releases it when the process ends,
however it ends, so a killed run never leaves the folder locked.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from onsis_batch.errors import InputError, OutputInUse
from onsis_batch.findings import finding
from onsis_batch.render.companions import complete_publications
from onsis_batch.render.publish import private_folder

LOCK_NAME = ".onsis-batch.lock"
TEMPORARY = ".*.tmp"  # how `render.publish` (and every atomic writer) names its work files
STAGE_PREFIX = ".onsis-batch-stage-"  # a board run's private copy of the school data
OWNER_ONLY = 0o600


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for the block; OutputInUse (RUN002) when another run has it.

    Work files are removed once the lock is held (a killed run's: never published, and
    nobody else can be writing them) and again before it is let go, so a run stopped
    half-way (Ctrl-C) leaves no partial file either.
    """
    output_folder(out_dir)
    path = out_dir / LOCK_NAME
    _check_lock_file(path)
    lock = FileLock(path, timeout=0, mode=OWNER_ONLY)
    try:
        lock.acquire()
    except Timeout:
        raise OutputInUse([finding("RUN002", file=str(out_dir))]) from None
    except OSError as problem:  # no permission, a link made meanwhile...
        reason = problem.strerror or type(problem).__name__
        raise InputError([finding("RUN004", file=str(path), reason=reason)]) from None
    try:
        _remove_work_files(out_dir)
        yield
    finally:
        _remove_work_files(out_dir)
        lock.release()


def _remove_work_files(out_dir: Path) -> None:
    """Delete the work files of a stopped run, and settle its pending companions (a batch
    file's manifest waiting for its name: `render.companions`)."""
    _remove_temporaries(out_dir)
    complete_publications(out_dir)


def _check_lock_file(path: Path) -> None:
    """InputError (RUN004) when the lock's path holds what no run makes there: a folder, or
    a link (followed, it would lock, or create, a file elsewhere)."""
    if path.is_symlink():
        reason = "it is a link"
    elif path.exists() and not path.is_file():
        reason = "it is a folder" if path.is_dir() else "it is not a regular file"
    else:
        return
    raise InputError([finding("RUN004", file=str(path), reason=reason)])


def _remove_temporaries(out_dir: Path) -> None:
    for stale in out_dir.glob(TEMPORARY):
        if not stale.is_dir() or stale.is_symlink():  # a folder of that name is no work file
            stale.unlink(missing_ok=True)
    for stage in out_dir.glob(STAGE_PREFIX + "*"):
        if stage.is_dir() and not stage.is_symlink():
            shutil.rmtree(stage, ignore_errors=True)


def output_folder(folder: Path) -> Path:
    """`folder`, created when missing; a folder the tool creates is its owner's only.

    On Linux and macOS each folder made gets mode 0700 and each file 0600. Windows ignores
    those bits: files take the access rules of their folder, so a folder the tool creates
    gets rules that let only the current user in (an existing folder keeps the rules it has).
    """
    for made in private_folder(folder):
        if os.name == "nt":
            subprocess.run(owner_only_acl(made), check=True, capture_output=True)
    return folder


def owner_only_acl(folder: Path, user: str | None = None) -> list[str]:
    """The `icacls` command that makes `folder` (and what is created in it) `user`'s only:
    inherited rules removed, full control granted to that user alone."""
    who = user or _windows_account()
    return ["icacls", str(folder), "/inheritance:r", "/grant:r", f"{who}:(OI)(CI)F"]


def _windows_account() -> str:
    """The account of the current Windows session, domain first (the user name elsewhere)."""
    domain = os.environ.get("USERDOMAIN")
    return f"{domain}\\{getpass.getuser()}" if domain else getpass.getuser()
