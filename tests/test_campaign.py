"""Damage campaign (issue 13): damaged PAE extracts and school-data CSVs never crash a run,
never lose data without an input finding, and never leak personal values.

Each example writes a small school, damages one file (a cut, junk bytes, lone carriage
returns, a lost field, a stray quote, an Excel-mangled number, a padded line, UTF-8
bytes...) and runs `generate`. It asserts:

* the exit code is 0, 1 or 2 (never an internal error);
* on exit 2 every error finding names a real input location (a file of the data or PAE
  folder, one of its tables or extracts, or the folder itself), never a temporary file;
* no name or birth date of the school appears in stdout, stderr or any file written, and
  no full OEN in the message of a finding about the inputs;
* every file written is inside --out and readable by its owner only.

The everyday suite runs 50 examples; CI's long run sets ONSIS_CAMPAIGN_EXAMPLES.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from builders import BSID, Scenario, write_scenario
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onsis_batch.cli import cli
from onsis_batch.contract import contract
from onsis_batch.findings import catalog
from onsis_batch.pae.layout import load_layouts

pytestmark = pytest.mark.campaign

EXAMPLES = int(os.environ.get("ONSIS_CAMPAIGN_EXAMPLES", "50"))
CAMPAIGN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
STUDENTS = [  # id, OEN, given name, family name, birth date
    ("1", "987654321", "Zoë", "Quillfeather", date(2009, 4, 17)),
    ("2", "912345678", "Anaïs", "Brightwater", date(2008, 11, 2)),
    ("3", "934567812", "Tolbric", "Harrowgate", date(2010, 1, 29)),
]
DAMAGED_FILES = ["pae", "students.csv", "school_enrolments.csv", "schools.csv"]


def school() -> Scenario:
    scenario = Scenario()
    for student_id, oen, given_name, family, born in STUDENTS:
        scenario.student(student_id, oen, first_name=given_name, last_name=family, birth_date=born)
        scenario.enrol(student_id, date(2025, 9, 2))
    for _, oen, *_ in STUDENTS[:2]:
        scenario.in_pae(oen)
    return scenario


def personal_values() -> list[str]:
    values = []
    for _, _, given_name, family, born in STUDENTS:
        values += [given_name, family, born.isoformat(), born.strftime("%Y/%m/%d")]
    return values


# --- damage ------------------------------------------------------------------------------


def _at(data: bytes, where: float) -> int:
    return min(len(data), int(where * len(data)))


def _lines_changed(data: bytes, where: float, change) -> bytes:
    lines = data.split(b"\n")
    index = min(len(lines) - 1, int(where * len(lines)))
    lines[index] = change(lines[index])
    return b"\n".join(lines)


def _mangled(data: bytes) -> bytes:
    match = re.search(rb"\d{9}", data)
    if not match:
        return data
    digits = match.group(0)
    excel = digits[:1] + b"." + digits[1:6] + b"E+08"
    return data[: match.start()] + excel + data[match.end() :]


DAMAGES = {
    "cut": lambda data, where, junk: data[: _at(data, where)],
    "junk": lambda data, where, junk: data[: _at(data, where)] + junk + data[_at(data, where) :],
    "drop": lambda data, where, junk: data[: _at(data, where)] + data[_at(data, where) + 3 :],
    "lone_cr": lambda data, where, junk: data.replace(b"\r\n", b"\r").replace(b"\n", b"\r"),
    "quote": lambda data, where, junk: data[: _at(data, where)] + b'"' + data[_at(data, where) :],
    "lost_field": lambda data, where, junk: _lines_changed(
        data, where, lambda line: line.rsplit(b",", 1)[0]
    ),
    "padded": lambda data, where, junk: _lines_changed(data, where, lambda line: b" " + line),
    "twice": lambda data, where, junk: _lines_changed(
        data, where, lambda line: line + b"\n" + line
    ),
    "excel": lambda data, where, junk: _mangled(data),
    "utf8": lambda data, where, junk: data.decode("cp1252", "replace").encode("utf-8"),
}


@st.composite
def damages(draw):
    return (
        draw(st.sampled_from(DAMAGED_FILES)),
        draw(st.sampled_from(sorted(DAMAGES))),
        draw(st.floats(0, 1)),
        draw(st.binary(min_size=1, max_size=6)),
    )


def damage(data: Path, pae: Path, target: str, kind: str, where: float, junk: bytes) -> None:
    path = next(pae.glob("*.csv")) if target == "pae" else data / target
    path.write_bytes(DAMAGES[kind](path.read_bytes(), where, junk))


# --- checks ------------------------------------------------------------------------------


def input_labels(data: Path, pae: Path) -> set[str]:
    """Every name a finding may give an input location."""
    labels = {
        str(data),
        str(pae),
        *(p.name for p in data.iterdir()),
        *(p.name for p in pae.iterdir()),
    }
    labels |= set(contract()) | {f"PAE extract {extract}" for extract in load_layouts()}
    return labels


def names_input(code: str) -> bool:
    """Findings about the inputs (load, PAE) and the pre-render check, which must not quote
    an OEN; segment findings name a student by OEN on purpose (the registrar looks it up)."""
    return catalog()[code].stage in ("load", "pae") or code == "OUT004"


def written_files(root: Path, data: Path, pae: Path) -> list[Path]:
    inputs = {data, pae}
    return [p for p in root.rglob("*") if p.is_file() and not inputs & set(p.parents)]


@CAMPAIGN
@given(damages())
def test_damaged_inputs_give_findings_not_crashes_or_leaks(tmp_path_factory, case):
    root = tmp_path_factory.mktemp("campaign")
    data, pae = write_scenario(school(), root)
    damage(data, pae, *case)
    out = root / "out"
    args = ["generate", "--data", str(data), "--pae", str(pae), "--bsid", BSID]
    args += ["--period", "oct", "--year", "2025-2026", "--out", str(out), "--json"]
    args += ["--timestamp", "2025-10-31T09:00:00"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1, 2), (case, result.output, result.exception)
    streams = result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    if result.exit_code == 2:
        labels = input_labels(data, pae)
        errors = [f for f in findings if f["severity"] == "error"]
        assert errors, (case, streams)
        for item in errors:
            assert item.get("file") in labels, (case, item)
        assert ".tmp" not in streams
    for item in (f for f in findings if names_input(f["code"])):
        text = item["message_en"] + item["message_fr"]
        for oen in (s[1] for s in STUDENTS):
            assert oen not in text, (case, item)
    files = written_files(root, data, pae)
    for path in files:
        assert out in path.parents, (case, path)
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (case, path)
    texts = [streams, *(p.read_text("utf-8", "replace") for p in files if p.suffix != ".xml")]
    for value in personal_values():
        assert not any(value in text for text in texts), (case, value)
