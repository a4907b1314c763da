"""What `onsis-batch board` shows: school lines naming their worst codes, the first
findings of a school that failed, the schools to look at first, --log-json fields, plain
lines when not on a terminal, and rich's live display from the first second on one."""

from __future__ import annotations

import io
import json
import re

import polars as pl
import pytest
from board_runs import invoke_board
from rich.console import Console

from onsis_batch.synth import synthesize

STAMP = "2025-10-31T09:00:00"


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A four-school synthetic board whose first enrolment row has a bad date: the school
    of that row fails (SRC004), the others are written."""
    summary = synthesize(
        tmp_path_factory.mktemp("board"), students=120, schools=4, seed=8, periods=("oct",)
    )
    path = summary.data_dir / "school_enrolments.csv"
    enrolments = pl.read_csv(path, infer_schema=False)
    schools = pl.read_csv(summary.data_dir / "schools.csv", infer_schema=False)
    school = enrolments.row(0, named=True)["school_id"]
    broken = schools.filter(pl.col("school_id") == school)["bsid"][0]
    first = pl.int_range(pl.len()) == 0
    enrolments.with_columns(
        pl.when(first)
        .then(pl.lit("2025-13-45"))
        .otherwise(pl.col("entry_date"))
        .alias("entry_date")
    ).write_csv(path)
    return summary, broken


def _run(board, out, *more):
    summary, _ = board
    return invoke_board(summary, out, "--timestamp", STAMP, "--workers", "1", *more)


def test_school_lines_name_their_worst_codes_and_a_failed_school_its_first_findings(
    board, tmp_path
):
    _, broken = board
    result = _run(board, tmp_path / "out")
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    [line] = [ln for ln in lines if ln.startswith(broken)]  # as it finished (not a terminal)
    assert "not generated" in line and "no file" in line and "SRC004×1" in line
    under = lines[lines.index(line) + 1]
    assert re.match(r"    SRC004 \[school_enrolments.csv, row 2, column entry_date\]: ", under)
    others = [ln for ln in lines if ln[:6].isdigit() and not ln.startswith(broken)]
    assert len(others) == 3 and all(".xml" in ln and " ok " in ln for ln in others)
    assert lines[-1].startswith(f"look first at: {broken} (not generated)")
    assert "\x1b" not in result.stdout + result.stderr  # no control code in cron's mail


def test_the_summary_is_french_with_lang_fr(board, tmp_path):
    _, broken = board
    result = _run(board, tmp_path / "out", "--lang", "fr", "--quiet")
    assert result.stdout == ""
    text = _run(board, tmp_path / "out2", "--lang", "fr").stdout
    assert f"{broken}" in text and "non générée" in text and "aucun fichier" in text
    assert "    SRC004 [school_enrolments.csv, ligne 2, colonne entry_date]: " in text
    assert text.splitlines()[-1].startswith(f"à examiner d'abord: {broken} (non générée)")


def test_log_json_lines_carry_level_code_and_bsid(board, tmp_path):
    summary, broken = board
    result = _run(board, tmp_path / "out", "--log-json")
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert all(e["level"] in ("info", "warning", "error") for e in events)
    done = {e["bsid"]: e for e in events if e["event"] == "bsid_done"}
    assert set(done) == set(summary.bsids)
    assert done[broken]["level"] == "error" and done[broken]["code"] == "SRC004"
    assert done[broken]["codes"]["SRC004"] == 1
    [where] = [e for e in events if e["event"] == "finding"]
    assert where == where | {"bsid": broken, "code": "SRC004", "level": "error"}
    assert (where["file"], where["row"], where["column"]) == (
        "school_enrolments.csv",
        2,
        "entry_date",
    )
    assert events[-1]["event"] == "board_done" and events[-1]["level"] == "error"
    assert result.stdout.strip().startswith("verdict:")  # the summary is still printed


def test_no_color_keeps_plain_lines(board, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    shown = io.StringIO()
    monkeypatch.setattr(
        "onsis_batch.cli.live.make_console", lambda: Console(file=shown, force_terminal=True)
    )
    result = _run(board, tmp_path / "out")
    assert shown.getvalue() == "" and "\x1b" not in result.stdout
    assert sum(ln[:6].isdigit() for ln in result.stdout.splitlines()) == 4


def test_on_a_terminal_the_display_shows_from_the_first_second(board, tmp_path, monkeypatch):
    import onsis_batch.run.board as board_module

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    shown = io.StringIO()
    monkeypatch.setattr(
        "onsis_batch.cli.live.make_console",
        lambda: Console(file=shown, force_terminal=True, width=160),
    )
    before_staged: list[str] = []
    stage = board_module._stage_in_child

    def staging(*args, **kwargs):
        before_staged.append(shown.getvalue())  # what the terminal had before staging ends
        return stage(*args, **kwargs)

    monkeypatch.setattr(board_module, "_stage_in_child", staging)
    _, broken = board
    result = _run(board, tmp_path / "out")
    assert result.exit_code == 2
    assert "staging the school data" in before_staged[0]
    terminal = shown.getvalue()
    assert "\x1b[" in terminal  # drawn in place
    assert re.search(rf"{broken} +not generated", terminal)  # each school above the bar
    assert "    SRC004 [school_enrolments.csv, row 2, column entry_date]" in terminal
    assert result.stdout.startswith("verdict:")  # no school line before the summary
