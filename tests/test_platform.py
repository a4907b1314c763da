"""Where boards run it: without the POSIX-only modules (as on Windows), Ctrl-C, the two ways
to start it, NO_COLOR and --quiet, help with examples, shell completion."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from onsis_batch.cli import cli
from onsis_batch.cli.live import is_live
from onsis_batch.run.lock import LOCK_NAME, output_lock, owner_only_acl
from onsis_batch.synth import synthesize

# Modules Windows' Python does not have: the tool's own code may not import them. (Libraries
# such as psutil pick a backend per system; on Linux theirs may use them, on Windows not.)
POSIX_ONLY = ("fcntl", "resource", "termios", "tty", "pty", "pwd", "grp")

BLOCKER = f'''
"""Refuse the POSIX-only modules to the tool's own imports, as Windows would."""
import sys

BLOCKED = {POSIX_ONLY!r}


def _importer():
    """The module whose code is importing (past importlib's own frames)."""
    frame = sys._getframe(2)
    while frame and any(part in frame.f_code.co_filename for part in ("importlib", "<frozen")):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "") if frame else ""


class NoPosixOnly:
    def find_spec(self, name, path=None, target=None):
        importer = _importer()
        if name.split(".")[0] in BLOCKED and importer.split(".")[0] in ("onsis_batch", "__main__"):
            raise ModuleNotFoundError(f"No module named {{name!r}} (as on Windows)", name=name)
        return None


sys.meta_path.insert(0, NoPosixOnly())
'''


def _tool(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "onsis_batch", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def small_board(tmp_path_factory):
    folder = tmp_path_factory.mktemp("board")
    return synthesize(folder, students=120, schools=2, seed=4, periods=("oct",))


def test_generate_board_and_purge_run_without_the_posix_only_modules(tmp_path, small_board):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "PYTHONWARNINGS": "ignore"}
    probe = [sys.executable, "-c", "import fcntl"]
    assert subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 1
    out = tmp_path / "out"
    done = _tool("generate", "--sample", "--period", "oct", "--out", out, env=env)
    assert done.returncode == 0, done.stderr
    board = [
        "board", "--data", small_board.data_dir, "--pae", small_board.pae_dirs["oct"],
        "--period", "oct", "--year", "2025-2026", "--out", out, "--workers", "2",
    ]  # fmt: skip
    done = _tool(*board, env=env)
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stdout + done.stderr
    assert len(list(out.glob("ONSIS_*.xml"))) == 3
    done = _tool("purge", "--out", out, "--keep", "1", env=env)
    assert done.returncode == 0, done.stderr
    assert "0 files deleted" in done.stdout


def _complete(xml: Path) -> bool:
    return xml.read_bytes().rstrip().endswith(b"</ONSIS_BATCH_FILE>")


def test_ctrl_c_exits_130_releases_the_lock_and_leaves_no_partial_file(tmp_path):
    board = synthesize(tmp_path / "board", students=2400, schools=6, seed=5, periods=("oct",))
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()
    command = [
        sys.executable, "-m", "onsis_batch", "board", "--data", board.data_dir,
        "--pae", board.pae_dirs["oct"], "--period", "oct", "--year", "2025-2026",
        "--out", out, "--workers", "2",
    ]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(scratch)}  # the stage's folder, to see it go
    child = subprocess.Popen(
        [str(part) for part in command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # one line per school finished: the run is under way
    assert first.strip(), child.stderr.read() if child.stderr else ""
    child.send_signal(signal.SIGINT)
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 130, errors
    assert "interrupted" in errors and "Traceback" not in errors
    assert not list(out.glob(".*.tmp"))
    assert all(_complete(xml) for xml in out.glob("ONSIS_*.xml"))
    assert len(list(out.glob("ONSIS_*.xml"))) < 6  # it stopped before the end
    assert not [p for p in scratch.iterdir() if p.name.startswith("onsis-batch-stage-")]
    with output_lock(out):  # free at once
        pass


def test_ctrl_c_during_generate_exits_130_and_publishes_nothing_half_written(tmp_path):
    school = synthesize(tmp_path / "school", students=4000, schools=1, seed=2, periods=("oct",))
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "onsis_batch", "generate", "--data", school.data_dir,
        "--pae", school.pae_dirs["oct"], "--bsid", school.bsids[0], "--period", "oct",
        "--year", "2025-2026", "--out", out,
    ]  # fmt: skip
    child = subprocess.Popen([str(p) for p in command], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / LOCK_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # the lock is taken once the inputs are read: planning starts
    child.send_signal(signal.SIGINT)
    _, errors = child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.fail("the run ended before Ctrl-C: the school is too small for this machine")
    assert child.returncode == 130, errors
    assert not list(out.glob(".*.tmp")) and all(_complete(x) for x in out.glob("*.xml"))
    with output_lock(out):
        pass


def test_python_dash_m_is_the_same_command_line_as_onsis_batch():
    script = Path(sys.executable).with_name("onsis-batch")
    if not script.exists():
        script = script.with_suffix(".exe")  # Windows' console script
    for args in (["--help"], ["generate", "--help"], ["--version"], ["codes", "--json"]):
        as_module = _tool(*args)
        as_script = subprocess.run(
            [str(script), *args], capture_output=True, text=True, check=False
        )
        assert as_module.returncode == as_script.returncode == 0
        assert as_module.stdout == as_script.stdout
    assert _tool("generate").returncode == subprocess.run([str(script), "generate"]).returncode == 2


def test_quiet_prints_nothing_but_json_and_the_exit_code_tells(tmp_path):
    result = CliRunner().invoke(
        cli, ["generate", "--sample", "--period", "oct", "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert list(tmp_path.glob("*.xml"))
    result = CliRunner().invoke(cli, ["purge", "--out", str(tmp_path), "--keep", "1", "--quiet"])
    assert result.exit_code == 0 and result.stdout == ""
    result = CliRunner().invoke(cli, ["codes", "--quiet", "--json"])
    assert result.stdout.startswith("{")


def test_no_color_and_dumb_terminals_get_no_redrawn_lines(monkeypatch):
    import io

    from rich.console import Console

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert is_live(Console(file=io.StringIO(), force_terminal=True))
    assert not is_live(Console(file=io.StringIO()))  # cron: stderr is no terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert not is_live(Console(file=io.StringIO(), force_terminal=True))
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not is_live(Console(file=io.StringIO(), force_terminal=True))


def test_every_command_shows_examples_and_takes_quiet():
    for name, command in cli.commands.items():
        shown = CliRunner().invoke(cli, [name, "--help"]).output
        assert "Examples:" in shown and f"onsis-batch {name}" in shown, name
        assert "--quiet" in shown, name
        for option in command.params:
            assert option.param_type_name == "argument" or option.help, f"{name} {option.name}"


def test_shell_completion_scripts_are_generated():
    env = {**os.environ, "_ONSIS_BATCH_COMPLETE": "bash_source"}
    done = _tool(env=env)
    assert done.returncode == 0 and "_ONSIS_BATCH_COMPLETE" in done.stdout


def test_a_new_output_folder_on_windows_is_made_its_owners_only():
    command = owner_only_acl(Path("out"), user="BOARD\\svc-onsis")
    assert command == ["icacls", "out", "/inheritance:r", "/grant:r", "BOARD\\svc-onsis:(OI)(CI)F"]


def test_the_readme_names_the_supported_platforms_and_installs_with_the_constraints():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "Windows" in readme and "Linux" in readme and "macOS" in readme
    first_commands = readme.split("```")[1]
    assert first_commands.count("-c constraints.txt") == 2
