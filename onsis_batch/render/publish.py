"""Publish a plan as a batch file: render to a private temporary file, validate it, and
only then move it onto its final name in one atomic step, with its manifest as a pair
(`render.companions`).

A file that fails the XSD is never published and never replaces an earlier good file;
no temporary file is left behind by a run that ends, and a killed run's are cleared by
the next one (`run.lock`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from onsis_batch.errors import InputError
from onsis_batch.findings import Finding, finding
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.model import Plan
from onsis_batch.render.companions import move_home, write_pending
from onsis_batch.render.xml import render_plan
from onsis_batch.validate.batch_file import validate_file

FILE_MODE = 0o600  # submissions hold personal information: owner only
FOLDER_MODE = 0o700  # and so do the folders the tool makes for them


@dataclass(frozen=True)
class PublishResult:
    """`path` is None when the file was not published; size and sha256 describe the
    rendered bytes either way."""

    path: Path | None
    findings: list[Finding] = field(default_factory=list)
    size: int = 0
    sha256: str = ""


DEFAULT_OUTPUT_NAME = "ONSIS_{period}_{count_date}_{bsid}.xml"
NAME_MAX = 200  # bytes: 255 on the usual file systems, less room for a work file's affixes
_NOT_IN_NAMES = ("/", "\\", "\0")


def file_in(folder: Path, name: str) -> Path:
    """`folder / name`, when `name` is a plain file name; ValueError otherwise.

    Parts of names come from data (a BSID, a period code): a separator or `..` in one would
    write outside the folder, so a name that is not one plain file name is refused.
    """
    bad = (
        not name
        or name in (".", "..")
        or any(part in name for part in _NOT_IN_NAMES)
        or len(name.encode("utf-8", "surrogateescape")) > NAME_MAX
    )
    if bad:
        raise ValueError(f"{name[:80]!r} is not a file name")
    return folder / name


def output_path(out_dir: Path, period: SubmissionPeriod) -> Path:
    """The batch file's path in `out_dir`; ValueError when its name is not a file name."""
    return file_in(out_dir, output_name(period))


def output_name(period: SubmissionPeriod) -> str:
    """`ONSIS_<period code>_<count date YYYYMMDD>_<BSID>.xml`, or the configured pattern."""
    return (period.output_name or DEFAULT_OUTPUT_NAME).format(
        period=period.code,
        count_date=f"{period.count_date:%Y%m%d}",
        bsid=period.bsid,
        school_year=period.school_year,
    )


class _HashingWriter:
    """Counts and hashes the bytes on their way to the file, so nothing is read twice."""

    def __init__(self, fd: int):
        self.fd = fd
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.size += len(data)
        self.digest.update(data)
        return len(data)


Companions = Callable[["PublishResult"], Sequence[tuple[Path, bytes]]]


def publish(
    plan: Plan,
    out_dir: Path,
    *,
    created: datetime,
    encoding: str = "iso-8859-1",
    show_pii: bool = False,
    companions: Companions | None = None,
    before_publish: Callable[[], None] | None = None,
) -> PublishResult:
    """Render, validate and (when valid) publish the batch file of `plan` in `out_dir`.

    `companions`: given the file about to be published, the files (its manifest) to
    publish with it as one pair (`render.companions`). `before_publish`: called last
    before anything takes a final name (a board worker checks its run is still there).
    `show_pii`: findings may quote personal values (see `render_plan`).
    """
    final = output_path(out_dir, plan.period)
    private_folder(out_dir)
    temp = out_dir / f".{final.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    published = False
    pending: list[tuple[Path, Path]] = []
    try:
        writer = _HashingWriter(fd)
        try:
            findings = render_plan(
                plan, writer, created=created, encoding=encoding, show_pii=show_pii
            )
            os.fsync(fd)
        finally:
            os.close(fd)
        xsd_findings = validate_file(temp, label=final.name)
        findings += xsd_findings
        result = PublishResult(None, findings, writer.size, writer.digest.hexdigest())
        if xsd_findings:
            return result
        result = replace(result, path=final)
        pending = write_pending(final, result.sha256, companions(result) if companions else ())
        if before_publish is not None:
            before_publish()
        os.replace(temp, final)
        published = True
        os.chmod(final, FILE_MODE)  # os.open's mode is narrowed by the umask only
        move_home(pending)
        _sync_dir(out_dir)
        return result
    finally:
        if not published:
            temp.unlink(missing_ok=True)
            for staged, _ in pending:
                staged.unlink(missing_ok=True)


def write_private(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write a small file (summary, manifest, report) as the batch file is written:
    atomically, readable by its owner only, and durable once this returns."""
    data = content.encode(encoding) if isinstance(content, str) else content
    private_folder(path.parent)
    temp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        if path.is_dir():
            raise unusable(path, "it is a folder; name a file")
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except OSError as problem:
        raise unusable(path, problem.strerror or type(problem).__name__) from None
    try:
        try:
            _HashingWriter(fd).write(data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        os.chmod(path, FILE_MODE)  # os.open's mode is narrowed by the umask only
        _sync_dir(path.parent)
    finally:
        temp.unlink(missing_ok=True)
    return path


def private_folder(folder: Path) -> list[Path]:
    """Create `folder` when missing, with each folder made on the way readable by its owner
    only (0700 whatever the umask: `mkdir -p` would give the umask's mode to the parents).
    An existing folder keeps its mode. The folders made, outermost first.

    InputError (RUN003) when it cannot be: a file is in the way, no permission...
    """
    try:
        return _make_private(folder)
    except FileExistsError as problem:
        raise unusable(folder, f"{problem.filename} is in the way and is not a folder") from None
    except OSError as problem:
        raise unusable(folder, problem.strerror or type(problem).__name__) from None


def _make_private(folder: Path) -> list[Path]:
    missing = []
    current = folder
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    made = []
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            if path.is_dir():
                continue  # made meanwhile by another run: its mode is its own
            raise
        os.chmod(path, FOLDER_MODE)  # os.mkdir's mode is narrowed by the umask only
        made.append(path)
    return made


def unusable(path: Path, reason: str) -> InputError:
    """The error for an output location that cannot be written (RUN003)."""
    return InputError([finding("RUN003", file=str(path), reason=reason)])


def _sync_dir(folder: Path) -> None:
    """Make the rename durable; some platforms cannot open a directory, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
