"""Runs killed at the worst moments (issue 13): a batch file and its manifest are published
as a pair, and what a killed run leaves is always verifiable and cleared by the next run."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from board_runs import board_process
from campaign_kit import Tally
from click.testing import CliRunner

from onsis_batch.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE = [
    "generate", "--data", str(REPO / "sample_data"), "--pae", str(REPO / "pae_samples" / "OCTSEC1"),
    "--bsid", "998467", "--period", "oct", "--year", "2025-2026",
]  # fmt: skip

# Runs the command line with os.replace counted; at call number N (argv[1]) the process kills
# itself with SIGKILL, before or after the rename (argv[2]). N = 0 counts only, and prints.
KILLER = """
import os, signal, sys
from onsis_batch.cli import main

target, when = int(sys.argv[1]), sys.argv[2]
real, calls = os.replace, []

def replace(src, dst, *args, **kwargs):
    calls.append(str(dst))
    if len(calls) == target and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst, *args, **kwargs)
    if len(calls) == target and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
sys.argv = ["onsis-batch", *sys.argv[3:]]
try:
    main()
finally:
    if target == 0:
        print("RENAMES", *calls, file=sys.stderr)
"""


def run_killed(out: Path, target: int, when: str, stamp: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", KILLER, str(target), when, *SAMPLE]
    command += ["--out", str(out), "--timestamp", stamp, "-q"]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def verify_all(out: Path) -> None:
    """`onsis-batch verify` of every manifest left, in this process: what is killed is the
    run, not the check of what it left."""
    manifests = sorted(out.glob("*.manifest.json"))
    assert manifests, sorted(p.name for p in out.iterdir())
    for manifest in manifests:
        done = CliRunner().invoke(cli, ["verify", str(manifest), "--json"])
        assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def old_run(tmp_path_factory) -> Path:
    """An output folder holding the previous run's file and manifest."""
    out = tmp_path_factory.mktemp("old") / "out"
    assert run_killed(out, 0, "never", "2025-10-30T09:00:00").returncode == 0
    return out


def test_a_run_killed_at_any_rename_leaves_a_verifiable_pair(tmp_path, old_run):
    counted = run_killed(tmp_path / "count", 0, "never", "2025-10-31T09:00:00")
    assert counted.returncode == 0, counted.stderr
    renames = counted.stderr.split("RENAMES", 1)[1].split()
    assert any(name.endswith(".xml") for name in renames)
    (batch,) = old_run.glob("*.xml")
    old_bytes = batch.read_bytes()
    new_bytes = (tmp_path / "count" / batch.name).read_bytes()
    # Killed before the first rename, then after each one (before the next is the same).
    moments = [(1, "before")] + [(target, "after") for target in range(1, len(renames) + 1)]
    for target, when in moments:
        out = tmp_path / f"{target}-{when}"
        shutil.copytree(old_run, out)
        killed = run_killed(out, target, when, "2025-10-31T09:00:00")
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert (out / batch.name).read_bytes() in (old_bytes, new_bytes)
        verify_all(out)
    # The next run after the worst moment (file renamed, manifest not yet) finishes cleanly.
    worst = tmp_path / f"{renames.index(str(tmp_path / 'count' / batch.name)) + 1}-after"
    assert (worst / batch.name).read_bytes() == new_bytes
    again = run_killed(worst, 0, "never", "2025-11-01T09:00:00")
    assert again.returncode == 0, again.stderr
    verify_all(worst)
    assert not [
        p.name for p in worst.iterdir() if p.name.startswith(".") and p.name != ".onsis-batch.lock"
    ]


def test_a_pending_manifest_of_a_file_that_never_came_is_dropped(tmp_path, old_run):
    out = tmp_path / "out"
    shutil.copytree(old_run, out)
    (batch,) = out.glob("*.xml")
    stray = out / f".{batch.name}.{'0' * 64}.manifest.json.next"
    stray.write_text(json.dumps({"format": "onsis-batch-manifest/1"}))
    again = run_killed(out, 0, "never", "2025-11-01T09:00:00")
    assert again.returncode == 0, again.stderr
    assert not stray.exists()
    verify_all(out)


# --- board: a killed board run leaves no process, publishes nothing more, stages privately --


@pytest.fixture(scope="module")
def small_board(tmp_path_factory):
    from onsis_batch.synth import synthesize

    folder = tmp_path_factory.mktemp("board")
    return synthesize(folder, students=900, schools=4, seed=5, periods=("oct",))


def board_command(board, out: Path) -> list[str]:
    return board_process(board, out, "--workers", "2")


def group_members(group: int) -> list[psutil.Process]:
    """Every process still in the process group the killed run was started in."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def listing(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()}


def stages(out: Path) -> list[Path]:
    """The board's private copies of the school data: inside its output folder only (the
    system's temporary folder is shared with other runs, so it is not looked at)."""
    return sorted(out.glob(".onsis-batch-stage-*"))


def kill_board_at(board, out: Path, delay: float) -> None:
    """Start a board run, SIGKILL it after `delay` seconds, and check what it leaves."""
    run = subprocess.Popen(
        board_command(board, out), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        run.wait()
        # The caller's stdout is let go at once (`board | mail` ends): nothing holds it.
        assert run.stdout is not None
        reader = subprocess.run(
            ["timeout", "10", "cat"], stdin=run.stdout, capture_output=True, check=False
        )
        assert reader.returncode == 0, f"stdout still held 10 s after the kill at {delay} s"
        deadline = time.monotonic() + 10
        while group_members(run.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_members(run.pid), f"processes left after the kill at {delay} s"
        left = listing(out) if out.exists() else {}
        time.sleep(1.5)
        assert (listing(out) if out.exists() else {}) == left, f"published after {delay} s"
        for stage in stages(out):
            private = [stage, *stage.rglob("*")]
            loose = [p for p in private if p.stat().st_mode & 0o077]
            assert not loose, f"stage readable by others after the kill at {delay} s: {loose}"
    finally:
        for process in group_members(run.pid):
            process.kill()
        run.stdout.close()


def check_next_run(board, out: Path) -> None:
    # With tracebacks (ONSIS_BATCH_DEBUG): an internal error of the rerun shows its cause.
    debug = {**os.environ, "ONSIS_BATCH_DEBUG": "1"}
    again = subprocess.run(
        board_command(board, out), capture_output=True, text=True, check=False, env=debug
    )
    assert again.returncode in (0, 1), again.stdout + again.stderr
    assert len(list(out.glob("ONSIS_*.xml"))) == len(board.bsids)
    verify_all(out)
    assert not stages(out), stages(out)
    assert not [
        p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".onsis-batch.lock"
    ]


def full_board_seconds(board, tmp_path: Path) -> float:
    started = time.monotonic()
    done = subprocess.run(
        board_command(board, tmp_path / "full"), capture_output=True, text=True, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    return time.monotonic() - started


def test_a_board_killed_at_random_moments_leaves_nothing_running_or_readable(tmp_path, small_board):
    full = full_board_seconds(small_board, tmp_path)
    out = tmp_path / "out"
    chosen = random.Random(13)
    for fraction in (0.3, 0.55, chosen.uniform(0.6, 0.95)):
        kill_board_at(small_board, out, full * fraction)
    check_next_run(small_board, out)


@pytest.mark.campaign
def test_kill_campaign_on_a_board(tmp_path, small_board, record_property):
    tally = Tally("board kills (SIGKILL at a random moment, then a clean rerun)")
    full = full_board_seconds(small_board, tmp_path)
    chosen = random.Random()
    for round_number in range(18):
        out = tmp_path / f"out-{round_number}"
        kill_board_at(small_board, out, full * chosen.uniform(0.05, 1.0))
        check_next_run(small_board, out)
        tally.add("survived")
    tally.record(record_property)


def test_the_stage_is_a_private_folder_inside_the_output_folder(tmp_path):
    from onsis_batch.run.board import _stage_folder

    with _stage_folder(tmp_path) as stage:
        assert stage.parent == tmp_path and stage.stat().st_mode & 0o777 == 0o700
    assert not stage.exists()


def test_a_stage_left_by_a_killed_run_is_removed_by_the_next_lock(tmp_path):
    from onsis_batch.run.lock import output_lock

    left = tmp_path / ".onsis-batch-stage-abc123" / "students"
    left.mkdir(parents=True)
    (left / "part-00000.parquet").write_bytes(b"PAR1")
    with output_lock(tmp_path):
        assert not stages(tmp_path)
