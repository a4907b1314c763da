"""Property campaign over school data and PAE extracts (issue 13): damaged inputs never
crash a run, never lose data without a finding that names where, and never leak.

Each example copies a small school (three students, four tables, five extracts) prepared
once per worker, damages one school-data table or one extract (see `campaign_damage`) and
reads it: most examples through the layer that reads it (`load_folder`,
`read_pae_folder`), some through a whole `generate` run in this process. For every input:

* the exit code is 0, 1 or 2, never 3 (a layer: no exception; errors mean exit 2);
* on exit 2 every error finding names an input given that exists (a file of the data or
  PAE folder, or the folder, or a table or extract whose file is missing), with a row and
  column within that file when it names them, never a temporary file;
* no name or birth date of the school appears in stdout, stderr or any file written but
  the batch XML (unless --show-pii), and no full OEN in a finding about the inputs;
* every file and folder written is inside --out and readable by its owner only.

Sizes: `campaign_kit.examples`; CI's long run sets ONSIS_CAMPAIGN_EXAMPLES.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from builders import BSID, YEAR, Scenario, write_scenario
from campaign_damage import PAE_CSV, PAE_FOLDER, SCHOOL_CSV, TABLE_FOLDER, apply_all, damages
from campaign_kit import (
    Inputs,
    Tally,
    campaign,
    error_locations,
    leaked,
    misplaced,
    quoted_oens,
    run_main,
    snapshot,
    stray_writes,
    written_texts,
)
from hostile import SAMPLE_PAE
from hypothesis import given
from hypothesis import strategies as st

from onsis_batch.contract import contract
from onsis_batch.errors import OnsisBatchError
from onsis_batch.findings import Finding, has_errors
from onsis_batch.pae.extracts import read_pae_folder
from onsis_batch.sources import load_folder

pytestmark = pytest.mark.campaign(everyday=True)

STUDENTS = [  # id, OEN, given name, family name, birth date
    ("1", "987654321", "Zoë", "Marrowvane", date(2009, 4, 17)),
    ("2", "912345678", "Anaïs", "Brightwater", date(2008, 11, 2)),
    ("3", "934567812", "Tolbric", "Harrowgate", date(2010, 1, 29)),
]
TABLES = ["students", "school_enrolments", "schools", "board_settings"]
MORE_EXTRACTS = ["0005", "0009", "0028"]  # from the sample, cut to three records each
PERIOD = {"school_year": YEAR, "period_code": "OCTSEC1"}
PERIOD_DESCRIPTION = "October Secondary School"


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


@dataclass
class Bench:
    """A school prepared once per worker, and a work folder each example starts afresh in."""

    base: Path
    work: Path
    oens: list[str]

    def fresh(self) -> tuple[Path, Path]:
        """Clean copies of the data and PAE folders (anything an example added is gone)."""
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.base, self.work, symlinks=True)
        return self.work / "data", self.work / "pae"


@pytest.fixture(scope="session")
def school_base(tmp_path_factory) -> tuple[Path, list[str]]:
    base = tmp_path_factory.mktemp("campaign-school")
    _, pae = write_scenario(school(), base)
    oens = [s[1] for s in STUDENTS]
    for extract in MORE_EXTRACTS:
        (sample,) = SAMPLE_PAE.glob(f"EXSMS-{extract}.00*.csv")
        lines = sample.read_bytes().split(b"\n")[:5]
        (pae / sample.name).write_bytes(
            b"\n".join(lines).replace(b'"998467"', f'"{BSID}"'.encode()) + b"\n"
        )
        if extract != "0009":  # MENs are not personal to a student (D281)
            oens += [line.split(b",")[1].strip(b'"').decode() for line in lines[2:]]
    return base, oens


@pytest.fixture
def bench(school_base, tmp_path) -> Bench:
    base, oens = school_base
    return Bench(base, tmp_path / "work", oens)


def neighbours(table: str) -> set[str]:
    """The table and those it refers to or that refer to it: all a load needs to check it
    (a quarter of the cost of reading every table)."""
    tables = contract()
    refers = {ref.table for ref in tables[table].references}
    return {
        table,
        *refers,
        *(t for t in TABLES if table in {r.table for r in tables[t].references}),
    }


def table_cases() -> st.SearchStrategy:
    return st.tuples(st.sampled_from(TABLES), damages(SCHOOL_CSV, st.floats(0, 1), TABLE_FOLDER))


def extract_cases() -> st.SearchStrategy:
    return st.tuples(st.integers(0, 3), damages(PAE_CSV, st.floats(0, 1), PAE_FOLDER))


def damage_extract(pae: Path, which: int, damage) -> None:
    apply_all(sorted(pae.glob("*.csv"))[which], damage)


# --- the layers ----------------------------------------------------------------------------


def layer_verdict(read) -> tuple[int, list[Finding]]:
    """Exit code a command would give for the layer's findings, and the findings."""
    try:
        findings = read()
    except OnsisBatchError as problem:
        return problem.exit_code, problem.findings
    return (2 if has_errors(findings) else 0), findings


def check_layer(code: int, findings: list[Finding], inputs: Inputs, bench: Bench, case) -> None:
    items = [f.to_dict() for f in findings]
    if code == 2:
        assert any(f["severity"] == "error" for f in items), case
        assert not error_locations(items, inputs), (case, error_locations(items, inputs))
    for item in items:  # a finding that names an input file names a real place in it
        if item.get("file") and inputs.resolve(item["file"]):
            assert not misplaced(item, inputs), (case, misplaced(item, inputs), item)
    assert not quoted_oens(items, bench.oens), (case, items)
    texts = [json.dumps(items, ensure_ascii=False), *(str(f) for f in findings)]
    assert not leaked(texts, personal_values()), (case, texts)


def test_damaged_school_data_tables_are_read_or_refused_by_place(bench, record_property):
    tally = Tally("school data: tables read (sources.load_folder)")

    @campaign("tables")
    @given(table_cases())
    def check(case):
        table, damage = case
        data, _ = bench.fresh()
        apply_all(data / f"{table}.csv", damage)
        code, findings = layer_verdict(lambda: load_folder(data, neighbours(table)).findings)
        tally.add(code)
        check_layer(code, findings, Inputs(folders=[data]), bench, case)

    check()
    tally.record(record_property)


def test_damaged_extracts_are_read_or_refused_by_place(bench, record_property):
    tally = Tally("PAE extracts read (pae.read_pae_folder)")

    def read(pae: Path) -> list[Finding]:
        found = read_pae_folder(pae, **PERIOD, period_description=PERIOD_DESCRIPTION, bsids=[BSID])
        return found.findings

    @campaign("pae")
    @given(extract_cases())
    def check(case):
        which, damage = case
        _, pae = bench.fresh()
        damage_extract(pae, which, damage)
        code, findings = layer_verdict(lambda: read(pae))
        tally.add(code)
        check_layer(code, findings, Inputs(folders=[pae]), bench, case)

    check()
    tally.record(record_property)


# --- whole runs ----------------------------------------------------------------------------

OPTIONS = st.sampled_from(
    [["--json"], ["--json"], ["--json", "--html"], ["--json", "--lang", "fr"], [], ["-q"],
     ["--json", "--show-pii"], ["--html", "--show-pii"]]
)  # fmt: skip


def generate(data: Path, pae: Path, out: Path, options: list[str]):
    return run_main(
        "generate", "--data", data, "--pae", pae, "--bsid", BSID, "--period", "oct",
        "--year", YEAR, "--out", out, "--timestamp", "2025-10-31T09:00:00", *options,
    )  # fmt: skip


def check_run(outcome, options: list[str], inputs: Inputs, bench: Bench, before, case) -> None:
    root, out = bench.work, bench.work / "out"
    assert outcome.code in (0, 1, 2), (case, outcome.code, outcome.streams[-3000:])
    assert ".tmp" not in outcome.streams and "onsis-batch-stage" not in outcome.streams, case
    if "--json" in options:
        findings = json.loads(outcome.stdout)["findings"]
        if outcome.code == 2:
            assert any(f["severity"] == "error" for f in findings), (case, outcome.streams)
            assert not error_locations(findings, inputs), (case, error_locations(findings, inputs))
        if "--show-pii" not in options:
            assert not quoted_oens(findings, bench.oens), (case, findings)
    assert not stray_writes(root, before, out), (case, stray_writes(root, before, out))
    if outcome.code == 2:  # nothing written but the folder's lock
        added = [p.name for p in snapshot(root) - before if p.is_file()]
        assert added in ([], [".onsis-batch.lock"]), (case, added)
    if "--show-pii" not in options:
        texts = [outcome.streams, *written_texts(root, before)]
        assert not leaked(texts, personal_values()), (case, leaked(texts, personal_values()))


def test_generate_on_damaged_school_data(bench, record_property):
    tally = Tally("school data: whole generate runs")

    @campaign("tables-generate")
    @given(table_cases(), OPTIONS)
    def check(case, options):
        table, damage = case
        data, pae = bench.fresh()
        apply_all(data / f"{table}.csv", damage)
        before = snapshot(bench.work)
        outcome = generate(data, pae, bench.work / "out", options)
        tally.add(outcome.code)
        check_run(outcome, options, Inputs(folders=[data, pae]), bench, before, (case, options))

    check()
    tally.record(record_property)


def test_generate_on_damaged_extracts(bench, record_property):
    tally = Tally("PAE extracts: whole generate runs")

    @campaign("pae-generate")
    @given(extract_cases(), OPTIONS)
    def check(case, options):
        which, damage = case
        data, pae = bench.fresh()
        damage_extract(pae, which, damage)
        before = snapshot(bench.work)
        outcome = generate(data, pae, bench.work / "out", options)
        tally.add(outcome.code)
        check_run(outcome, options, Inputs(folders=[data, pae]), bench, before, (case, options))

    check()
    tally.record(record_property)
