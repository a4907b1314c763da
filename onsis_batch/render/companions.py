"""A batch file and its companions (its manifest) published as one pair.

Two renames cannot happen at once, so a run killed between them would leave the new file
beside the old manifest, which `verify` then rejects. Instead each companion is first
written, complete and durable, under a *pending* name that carries the SHA-256 of the file
it belongs to (`.<file>.<sha256><suffix>.next`); then the file takes its name; then each
companion. Whatever moment a run is killed at, what is left is one of:

- the old file and its manifest, maybe with pending companions naming another hash: those
  belong to a file that never came, and are dropped;
- the new file and pending companions naming its hash: the publication was cut short;
  `verify` reads the pending manifest as the file's, and the next run renames it home;
- the new file and its manifest.

`complete_publications` (run whenever an output folder's lock is taken or let go) settles
the pending companions of a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

FILE_MODE = 0o600
PENDING = ".*.next"
_PENDING_NAME = re.compile(r"\.(?P<file>.+?\.xml)\.(?P<sha256>[0-9a-f]{64})(?P<suffix>\..+)\.next")
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def pending_path(file: Path, sha256: str, companion: Path) -> Path:
    """Where `companion` of `file` (whose bytes hash to `sha256`) waits to be published.

    A companion is named after its file (`<file name><suffix>`) in the same folder.
    """
    suffix = companion.name[len(file.name) :]
    if companion.parent != file.parent or not companion.name.startswith(file.name) or not suffix:
        raise ValueError(f"{companion.name} is not named after {file.name}")
    return file.parent / f".{file.name}.{sha256}{suffix}.next"


def write_pending(
    file: Path, sha256: str, companions: Sequence[tuple[Path, bytes]]
) -> list[tuple[Path, Path]]:
    """Write each companion under its pending name, durably; (pending, final) pairs."""
    written = []
    try:
        for companion, data in companions:
            pending = pending_path(file, sha256, companion)
            pending.unlink(missing_ok=True)  # left by a run stopped at the same point
            written.append((pending, companion))
            _write_new(pending, data)
    except BaseException:
        for pending, _ in written:
            pending.unlink(missing_ok=True)
        raise
    return written


def move_home(pending: Sequence[tuple[Path, Path]]) -> None:
    """Give each pending companion its final name (after its file got its own)."""
    for staged, final in pending:
        os.replace(staged, final)


def complete_publications(folder: Path) -> None:
    """Settle the pending companions a stopped run left in `folder`: those of the file that
    is there now (same hash) take their final name, the others are removed."""
    for pending in sorted(folder.glob(PENDING)):
        match = _PENDING_NAME.fullmatch(pending.name)
        if match is None or not pending.is_file() or pending.is_symlink():
            continue  # not one of ours
        file = folder / match["file"]
        if file.is_file() and sha256_file(file) == match["sha256"]:
            os.replace(pending, folder / (match["file"] + match["suffix"]))
        else:
            pending.unlink(missing_ok=True)


def _write_new(path: Path, data: bytes) -> None:
    """A new owner-only file holding `data`, on disk when this returns."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, FILE_MODE)  # os.open's mode is narrowed by the umask only
