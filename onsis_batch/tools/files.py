"""Write report files the way the batch file is written: atomically and owner-only,
since diffs, work lists and manifests name students by OEN."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600


def write_private(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write `content` to a temporary file beside `path`, then rename it onto `path`."""
    data = content.encode(encoding) if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temp, path)
    os.chmod(path, FILE_MODE)  # os.open's mode is narrowed by the umask only
    return path
