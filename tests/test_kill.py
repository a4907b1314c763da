"""Runs killed at the worst moments (issue 13): a batch file and its manifest are published
as a pair, and what a killed run leaves is always verifiable and cleared by the next run."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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
    manifests = sorted(out.glob("*.manifest.json"))
    assert manifests, sorted(p.name for p in out.iterdir())
    for manifest in manifests:
        done = subprocess.run(
            [sys.executable, "-m", "onsis_batch", "verify", str(manifest), "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr


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
