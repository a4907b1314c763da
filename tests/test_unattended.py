"""Nightly, unattended runs: the output lock, killed runs, purge, log lines, the board command."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from board_runs import invoke_board
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.run.lock import output_lock
from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.retention import purge
from onsis_batch.run.sample import sample_run
from onsis_batch.synth import synthesize

STAMP = datetime(2025, 10, 31, 9, 0)


def _sample(out: Path, created: datetime = STAMP):
    data, pae, bsid, year = sample_run("oct")
    return generate(PlanRequest(data, pae, "oct", year, (bsid,)), out, created=created)


def test_a_second_run_on_a_locked_folder_writes_nothing(tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        result = _sample(out)
    assert result.exit_code == 2 and result.output is None
    assert [f.code for f in result.findings] == ["RUN002"]
    assert not list(out.glob("*.xml"))
    assert _sample(out).output is not None  # released at the end of the block


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from pathlib import Path; "
            "from onsis_batch.run.lock import output_lock; "
            f"lock = output_lock(Path({str(out)!r})); lock.__enter__(); print('held', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert _sample(out).exit_code == 2
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    assert _sample(out).output is not None


def test_work_files_of_a_killed_run_are_cleared_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".ONSIS_OCTSEC1_20251031_999999.xml.0123456789ab.tmp"
    stale.write_bytes(b"<ONSIS_BATCH_FILE>half")
    result = _sample(out)
    assert result.output is not None and not stale.exists()


def test_a_run_killed_at_any_moment_leaves_the_old_or_the_new_file_never_a_partial_one(tmp_path):
    summary = synthesize(tmp_path / "school", students=1500, schools=1, seed=2, periods=("oct",))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "onsis_batch",
        "generate",
        "--data",
        summary.data_dir,
        "--pae",
        summary.pae_dirs["oct"],
        "--bsid",
        summary.bsids[0],
        "--period",
        "oct",
        "--year",
        "2025-2026",
        "--out",
        out,
    ]
    command = [str(part) for part in command]
    # The previous good file, then what the new run writes when left alone.
    subprocess.run([*command, "--timestamp", "2025-10-30T09:00:00"], check=False)
    (old,) = out.glob("*.xml")
    old_bytes = old.read_bytes()
    started = time.perf_counter()
    subprocess.run([*command, "--timestamp", "2025-10-31T09:00:00"], check=False)
    full = time.perf_counter() - started
    new_bytes = old.read_bytes()
    assert new_bytes != old_bytes
    old.write_bytes(old_bytes)
    for fraction in (0.3, 0.5, 0.65, 0.8, 0.9, 0.95):
        child = subprocess.Popen(
            [*command, "--timestamp", "2025-10-31T09:00:00"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(full * fraction)
        child.send_signal(signal.SIGKILL)
        child.wait()
        (visible,) = out.glob("*.xml")
        assert visible.read_bytes() in (old_bytes, new_bytes), f"partial file at {fraction}"
        visible.write_bytes(old_bytes)  # start each round from the old file
    assert _sample(out).output is not None
    assert not list(out.glob(".*.tmp"))


def _age(path: Path, days: float) -> None:
    when = time.time() - days * 86_400
    os.utime(path, (when, when))


def test_purge_by_age_and_by_count_takes_companions_along(tmp_path):
    out = tmp_path
    files = {}
    for name, days in [
        ("ONSIS_OCTSEC1_20251031_111111.xml", 40),
        ("ONSIS_MARSEC2_20260331_111111.xml", 10),
        ("ONSIS_JUNSEC1_20260630_111111.xml", 1),
        ("ONSIS_OCTSEC1_20251031_222222.xml", 40),
        ("board-summary-oct-2025-2026.json", 40),
    ]:
        files[name] = out / name
        files[name].write_text("x")
        _age(files[name], days)
    manifest = out / "ONSIS_OCTSEC1_20251031_111111.xml.manifest.json"
    manifest.write_text("{}")
    assert purge(out, older_than_days=30, dry_run=True) == sorted(
        [
            files["ONSIS_OCTSEC1_20251031_111111.xml"],
            manifest,
            files["ONSIS_OCTSEC1_20251031_222222.xml"],
            files["board-summary-oct-2025-2026.json"],
        ]
    )
    assert files["ONSIS_OCTSEC1_20251031_111111.xml"].exists()  # a dry run deletes nothing
    removed = purge(out, keep=2)
    assert removed == sorted([files["ONSIS_OCTSEC1_20251031_111111.xml"], manifest])
    assert sorted(p.name for p in out.glob("ONSIS_*")) == [
        "ONSIS_JUNSEC1_20260630_111111.xml",
        "ONSIS_MARSEC2_20260331_111111.xml",
        "ONSIS_OCTSEC1_20251031_222222.xml",
    ]
    result = CliRunner().invoke(cli, ["purge", "--out", str(out), "--older-than", "5"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("ONSIS_*")) == ["ONSIS_JUNSEC1_20260630_111111.xml"]
    assert CliRunner().invoke(cli, ["purge", "--out", str(out)]).exit_code == 2


@pytest.fixture(scope="module")
def board_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    return synthesize(root, students=120, schools=3, seed=8, periods=("oct",))


@pytest.fixture(scope="module")
def board_run(board_data, tmp_path_factory):
    """One `board` run over every BSID with two workers, read by the tests below."""
    out = tmp_path_factory.mktemp("board_run") / "out"
    more = ["--workers", "2", "--timestamp", "2025-10-31T09:00:00", "--log-json", "--json"]
    return invoke_board(board_data, out, *more), out


def test_board_command_writes_every_bsid_a_private_summary_and_safe_log_lines(
    board_data, board_run
):
    result, out = board_run
    assert result.exit_code in (0, 1), result.output
    summary = json.loads(result.stdout)
    assert [s["bsid"] for s in summary["schools"]] == sorted(board_data.bsids)
    assert summary["files_written"] == len(board_data.bsids)
    assert all(s["output"] and s["students"] > 0 for s in summary["schools"])
    written = out / "board-summary-oct-2025-2026.json"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert json.loads(written.read_text())["files_written"] == len(board_data.bsids)
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[0]["event"] == "board_start"
    assert events[-1]["event"] == "board_done"
    assert sorted(e["bsid"] for e in events if e["event"] == "bsid_done") == sorted(
        board_data.bsids
    )
    students = pl.read_csv(board_data.data_dir / "students.csv", infer_schema=False)
    secrets = {
        value
        for column in ("oen", "first_name", "last_name", "birth_date")
        for value in students.get_column(column).drop_nulls().to_list()
        if len(value) >= 4
    }
    assert not [s for s in secrets if s in result.stderr]


def test_board_command_text_output_has_one_line_per_school_and_keeps_n_files(board_data, tmp_path):
    out = tmp_path / "out"
    more = ["--workers", "1", "--bsid", board_data.bsids[0], "--keep", "1"]
    result = invoke_board(board_data, out, *more)
    assert result.exit_code in (0, 1), result.output
    lines = result.stdout.splitlines()
    assert sum(line.startswith(board_data.bsids[0]) for line in lines) == 1
    assert any(line.startswith("files written: 1/1") for line in lines)
    assert len(list(out.glob("*.xml"))) == 1


def test_board_runs_write_a_manifest_per_file_that_verifies(board_data, board_run):
    from onsis_batch.run.manifest import manifest_path, verify_manifest

    result, out = board_run
    schools = json.loads(result.stdout)["schools"]
    assert [s["bsid"] for s in schools] == sorted(board_data.bsids)
    for school in schools:
        assert school["output"]
        manifest = manifest_path(out / school["output"])
        assert json.loads(manifest.read_text())["options"]["bsid"] == school["bsid"]
        findings, checked = verify_manifest(manifest)
        assert findings == [] and checked > 1


def test_the_log_refuses_fields_that_could_carry_personal_data():
    import io

    from onsis_batch.run.log import RunLog

    stream = io.StringIO()
    log = RunLog(as_json=True, stream=stream)
    with pytest.raises(ValueError, match="first_name"):
        log.event("bsid_done", bsid="999001", first_name="Ann")
    log.event("bsid_done", bsid="999001", students=3)
    assert json.loads(stream.getvalue())["students"] == 3
    quiet = io.StringIO()
    RunLog(as_json=True, stream=quiet, enabled=False).event("bsid_done", bsid="1")
    assert quiet.getvalue() == ""
