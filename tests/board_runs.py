"""The `onsis-batch board` command line over a synthetic board, as several test files run
it: in this process (`invoke_board`) or as its own process (`board_process`)."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner, Result

from onsis_batch.cli import cli
from onsis_batch.synth import SynthSummary


def board_args(board: SynthSummary, out: Path, *more: object) -> list[str]:
    """`board` over every BSID of a synthetic board's October extracts, writing to `out`."""
    args = [
        "board", "--data", board.data_dir, "--pae", board.pae_dirs["oct"], "--period", "oct",
        "--year", "2025-2026", "--out", out, *more,
    ]  # fmt: skip
    return [str(a) for a in args]


def invoke_board(board: SynthSummary, out: Path, *more: object) -> Result:
    return CliRunner().invoke(cli, board_args(board, out, *more))


def board_process(board: SynthSummary, out: Path, *more: object) -> list[str]:
    """The same command line for `subprocess`, where the process itself is under test."""
    return [sys.executable, "-m", "onsis_batch", *board_args(board, out, *more)]
