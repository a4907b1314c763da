"""The run manifest: what a generate run read, how it was asked, and what it wrote.

Every published batch file gets `<file>.manifest.json` beside it, written the same way
(temporary file, rename, owner-only). It records the tool and spec versions, the SHA-256
of every input file and of the output, the options, the counts per segment and action, a
summary of the findings and the overrides applied, so an auditor can later show which
data produced which file. `verify_manifest` re-hashes the files and reports any change.

Inputs are the files the loaders read: the `.csv` and `.parquet` files of the school data
folder and the `.csv` files of the PAE folder (see D205).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from onsis_batch import __version__
from onsis_batch.findings import Finding, count_by_severity, finding
from onsis_batch.plan.outcome import RunResult
from onsis_batch.render.companions import pending_path, sha256_file
from onsis_batch.render.publish import file_in
from onsis_batch.resources import data_dir, package_file
from onsis_batch.sources.origin import DataSource, FolderSource, data_source

FORMAT = "onsis-batch-manifest/1"
SUFFIX = ".manifest.json"
DATA_SUFFIXES = (".csv", ".parquet")
MAX_PATH = 4096  # the longest path Linux opens; a manifest lists no longer one


def manifest_path(output: Path) -> Path:
    """`ONSIS_….xml` -> `ONSIS_….xml.manifest.json`."""
    return output.with_name(output.name + SUFFIX)


@cache
def spec_version() -> str:
    """SHA-256 over every declaration that shapes the output: specs, contract, codes,
    finding catalog, PAE layouts and periods (names and contents, in a stable order)."""
    files = [
        *sorted(data_dir("segment_specs").glob("*.yaml")),
        *sorted(package_file("contract").glob("*.yaml")),
        *sorted(package_file("pae", "layouts").glob("*.yaml")),
        package_file("codes.yaml"),
        package_file("findings.yaml"),
        package_file("period", "periods.yaml"),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_files(data: Path | str | DataSource, pae: Path | None) -> list[tuple[str, Path]]:
    """(role, path) of every input file a run reads, in name order.

    A database file (SQLite, DuckDB) is one input; a database server has no file to hash
    (the manifest's options name it, password masked).
    """
    source = data_source(data)
    if isinstance(source, FolderSource):
        found = [
            ("data", p)
            for p in sorted(source.folder.iterdir())
            if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
        ]
    elif source.database.kind == "postgresql":
        found = []
    else:
        found = [("data", Path(source.database.target))]
    if pae is not None:
        found += [
            ("pae", p) for p in sorted(pae.iterdir()) if p.is_file() and p.suffix.lower() == ".csv"
        ]
    return found


def describe_inputs(inputs: list[tuple[str, Path]]) -> list[dict[str, Any]]:
    """Role, path, SHA-256 and size of each input file."""
    return [
        {
            "role": role,
            "path": str(path.resolve()),
            "sha256": sha256_file(path),
            "size": path.stat().st_size,
        }
        for role, path in inputs
    ]


def _findings_summary(findings: list[Finding]) -> dict[str, Any]:
    return {
        "by_severity": count_by_severity(findings),
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
    }


def build_manifest(
    *,
    output: Path,
    sha256: str,
    size: int,
    created: datetime,
    options: dict[str, Any],
    inputs: list[tuple[str, Path]],
    counts: dict[str, dict[str, int]],
    students: int,
    findings: list[Finding],
    overrides: list[dict[str, Any]] | None = None,
    described: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest of one published batch file, as plain data.

    `described`: the inputs already hashed (`describe_inputs`), when many runs share them.
    """
    return {
        "format": FORMAT,
        "tool": "onsis-batch",
        "tool_version": __version__,
        "spec_version": spec_version(),
        "created": created.isoformat(timespec="seconds"),
        "options": options,
        "inputs": described if described is not None else describe_inputs(inputs),
        "output": {"path": output.name, "sha256": sha256, "size": size},
        "students": students,
        "counts": counts,
        "findings": _findings_summary(findings),
        "overrides_applied": overrides or [],
    }


def verify_manifest(path: Path) -> tuple[list[Finding], int]:
    """Findings for every file whose hash no longer matches (or is gone, or cannot be read),
    and the number of files checked. MAN003 when the manifest itself cannot be used."""
    try:
        entries = _listed_files(path)
    except _NotAManifest as problem:
        return [finding("MAN003", file=str(path), reason=str(problem))], 0
    findings = [changed for name, digest in entries if (changed := _changed(name, digest))]
    pending = _pending_manifest(path, Path(entries[-1][0]), findings)
    if pending is not None:
        return verify_manifest(pending)
    return findings, len(entries)


def _pending_manifest(path: Path, output: Path, findings: list[Finding]) -> Path | None:
    """The manifest still pending beside `path` for the output file that is there, when
    the run that wrote that file was stopped before its manifest took its name (D589)."""
    changed = [f for f in findings if f.code == "MAN001" and f.file == str(output)]
    if not changed or path.name.startswith("."):
        return None
    pending = pending_path(output, changed[0].params["actual"], path)
    return pending if pending.is_file() else None


class _NotAManifest(ValueError):
    """Why a file cannot be used as a manifest."""


def _listed_files(path: Path) -> list[tuple[str, str]]:
    """(path, SHA-256) of each input and of the output a manifest lists; _NotAManifest when
    it is not a manifest this tool writes: unreadable, not JSON, nested past what the JSON
    reader can hold, or with an entry that is not a path and a hash as text."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise _NotAManifest("it nests deeper than any manifest does") from None
    except (OSError, ValueError) as problem:
        raise _NotAManifest(str(problem)[:200]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise _NotAManifest(f"format is {str(found)[:40]!r}, not {FORMAT!r}")
    inputs, output = manifest.get("inputs"), manifest.get("output")
    if not isinstance(inputs, list) or not isinstance(output, dict):
        raise _NotAManifest("it has no list of inputs and output")
    entries = [_entry(item, f"inputs[{n}]") for n, item in enumerate(inputs)]
    name, digest = _entry(output, "output")
    try:
        entries.append((str(file_in(path.parent, name)), digest))
    except ValueError:
        raise _NotAManifest("output.path is not a file name") from None
    return entries


def _entry(item: object, where: str) -> tuple[str, str]:
    """The path and hash of one listed file, both text, the path one a system can open."""
    if not isinstance(item, dict):
        raise _NotAManifest(f"{where} is not a path and a hash")
    name, digest = item.get("path"), item.get("sha256")
    if not isinstance(name, str) or not name or len(name) > MAX_PATH or "\0" in name:
        raise _NotAManifest(f"{where}.path is not a file path")
    if not isinstance(digest, str):
        raise _NotAManifest(f"{where}.sha256 is not text")
    return name, digest


def _changed(name: str, expected: str) -> Finding | None:
    """MAN001 (changed), MAN002 (gone) or MAN004 (cannot be read) for one listed file."""
    target = Path(name)
    try:
        if not target.exists():
            return finding("MAN002", file=name)
        if not target.is_file():
            return finding("MAN004", file=name, reason="it is not a file")
        actual = sha256_file(target)
    except OSError as problem:
        return finding("MAN004", file=name, reason=problem.strerror or type(problem).__name__)
    if actual != expected:
        return finding("MAN001", file=name, expected=expected, actual=actual)
    return None


def manifest_companion(
    result: RunResult,
    data: Path | str | DataSource,
    pae: Path | None,
    created: datetime,
    options: dict[str, Any],
    described: list[dict[str, Any]] | None = None,
) -> tuple[Path, bytes]:
    """The manifest of a run's file (about to be published) as a path and its bytes, to be
    published with the file (`render.publish`'s companions)."""
    assert result.output is not None and result.sha256 is not None and result.period is not None
    period = result.period
    options = {**options, "period_code": period.code, "count_date": period.count_date.isoformat()}
    manifest = build_manifest(
        output=result.output,
        sha256=result.sha256,
        size=result.size,
        created=created,
        options=options,
        inputs=input_files(data, pae),
        counts=result.counts(),
        students=result.students,
        findings=result.findings,
        overrides=result.overrides_applied,
        described=described,
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return manifest_path(result.output), text.encode("utf-8")
