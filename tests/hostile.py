"""Shared pieces of the hostile-input tests: run the command line, list files, the sample."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from onsis_batch.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"
SAMPLE_PAE = REPO / "pae_samples" / "OCTSEC1"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def every_file(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def sample_copy(folder: Path) -> Path:
    shutil.copytree(SAMPLE_DATA, folder)
    return folder


def sample_generate(data: Path | str, out: Path, *more: object) -> Result:
    return invoke(
        "generate", "--data", data, "--pae", SAMPLE_PAE, "--bsid", "998467", "--period", "oct",
        "--year", "2025-2026", "--out", out, "--timestamp", "2025-10-31T09:00:00", *more,
    )  # fmt: skip
