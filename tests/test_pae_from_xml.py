"""`pae-from-xml`: the extracts OnSIS would hand out after accepting a batch file, and the
fixed-point property they make testable.

Property: on a synthetic school (each of October, March and June), generate a file, apply
it to the extracts with `pae-from-xml`, generate again from the same school data against
those extracts. The second file sends no ADD and no DELETE, and every UPDATE it still sends
is one the rule book sends in every generation (`fixtures/sent_every_period.yaml`, with
its rule-book lines). Records of students without an OEN are left out: OnSIS gives them an
OEN the school data does not know yet (rule book line 1429, PAE023). Applying the first
file must not meet a record OnSIS would refuse (PAE020, PAE021).

The everyday suite runs a few small schools per period; `-m campaign` runs more, larger
ones (ONSIS_FIXED_POINT_EXAMPLES sets how many per period, 4 by default).
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime
from pathlib import Path

import pytest
from hostile import SAMPLE_PAE, invoke, sample_generate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from onsis_batch.pae.extracts import extract_file_name, read_pae_folder
from onsis_batch.pae.layout import load_layouts
from onsis_batch.resources import package_file
from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.segments.context import MISSING_OEN
from onsis_batch.strict_yaml import read_yaml
from onsis_batch.synth import synthesize
from onsis_batch.tools.pae_apply import ExtractRows, Op
from onsis_batch.tools.pae_from_xml import pae_from_xml
from onsis_batch.tools.pae_roles import segment_roles
from onsis_batch.tools.records import read_batch

FIXTURES = Path(__file__).parent / "fixtures"
SENT_EVERY_PERIOD = {
    (entry["segment"], entry["action"]) for entry in read_yaml(FIXTURES / "sent_every_period.yaml")
}
REFUSED = {"PAE020", "PAE021", "PAE022"}
YEAR = "2025-2026"
STAMP = datetime(2026, 1, 5, 9, 0)
SCHEMA = json.loads(package_file("cli", "output.schema.json").read_text(encoding="utf-8"))


# --- the fixed-point property --------------------------------------------------------------


def fixed_point(root: Path, kind: str, seed: int, students: int, schools: int = 1) -> list[str]:
    """What the second file sends that it should not, and what applying the first met."""
    school = synthesize(
        root / "school", students=students, schools=schools, seed=seed, periods=[kind]
    )
    bsid, pae = school.bsids[0], school.pae_dirs[kind]
    first = generate(_request(school.data_dir, pae, kind, bsid), root / "first", created=STAMP)
    assert first.output is not None, [str(f) for f in first.findings]
    applied = pae_from_xml(first.output, pae, root / "after")
    problems = [str(f) for f in applied.findings if f.code in REFUSED]
    second = generate(
        _request(school.data_dir, root / "after", kind, bsid), root / "second", created=STAMP
    )
    assert second.output is not None, [str(f) for f in second.findings]
    for segment, frame in read_batch(second.output).frames.items():
        for key, action in frame.select("_key", "_action").iter_rows():
            if (
                action
                and (segment, action) not in SENT_EVERY_PERIOD
                and f"OEN={MISSING_OEN}" not in key
            ):
                problems.append(f"{segment} {action} {key}")
    return problems


def _request(data: Path, pae: Path, kind: str, bsid: str) -> PlanRequest:
    return PlanRequest(data=data, pae_dir=pae, kind=kind, school_year=YEAR, bsids=(bsid,))


EVERYDAY = settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("kind", ["oct", "mar", "jun"])
@EVERYDAY
@given(seed=st.integers(1, 100_000), students=st.integers(5, 20))
def test_a_file_generated_again_after_onsis_accepted_it_sends_only_what_is_always_sent(
    tmp_path_factory, kind, seed, students
):
    root = tmp_path_factory.mktemp("fixed")
    assert fixed_point(root, kind, seed, students) == []


CAMPAIGN = settings(
    max_examples=int(os.environ.get("ONSIS_FIXED_POINT_EXAMPLES", "4")),  # not the damage total
    deadline=None,
    derandomize=os.environ.get("ONSIS_CAMPAIGN_EXPLORE") != "1",  # as campaign_kit (D731)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.campaign
@pytest.mark.parametrize("kind", ["oct", "mar", "jun"])
@CAMPAIGN
@given(seed=st.integers(1, 100_000), students=st.integers(5, 200), schools=st.integers(1, 2))
def test_fixed_point_campaign(tmp_path_factory, kind, seed, students, schools):
    root = tmp_path_factory.mktemp("fixed")
    assert fixed_point(root, kind, seed, students, schools) == []


# --- the command ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    assert sample_generate(SAMPLE_PAE.parent.parent / "sample_data", out).exit_code in (0, 1)
    return next(out.glob("ONSIS_*.xml"))


def test_extracts_are_written_owner_only_as_onsis_names_them_and_read_back(sample_file, tmp_path):
    out = tmp_path / "after"
    done = invoke("pae-from-xml", sample_file, "--pae", SAMPLE_PAE, "--out", out)
    assert done.exit_code == 0, done.output
    names = {extract_file_name(extract) for extract in load_layouts()}
    assert {p.name for p in out.iterdir()} == names
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    read = read_pae_folder(
        out,
        school_year=YEAR,
        period_code="OCTSEC1",
        period_description="October Secondary School",
        bsids=["998467"],
        required=list(load_layouts()),
    )
    assert read.findings == []  # windows-1252, this period's headers, every extract's block


def test_the_same_inputs_give_the_same_bytes(sample_file, tmp_path):
    for folder in ("a", "b"):
        assert (
            invoke(
                "pae-from-xml", sample_file, "--pae", SAMPLE_PAE, "--out", tmp_path / folder
            ).exit_code
            == 0
        )
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_json_output_matches_the_schema(sample_file, tmp_path):
    done = invoke("pae-from-xml", sample_file, "--pae", SAMPLE_PAE, "--out", tmp_path, "--json")
    data = json.loads(done.stdout)
    assert not list(Draft202012Validator(SCHEMA).iter_errors(data))
    assert data["command"] == "pae-from-xml" and data["rows"]["0003"] > 0


def test_a_file_applied_twice_is_refused_record_by_record(sample_file, tmp_path):
    assert (
        invoke(
            "pae-from-xml", sample_file, "--pae", SAMPLE_PAE, "--out", tmp_path / "once"
        ).exit_code
        == 0
    )
    done = pae_from_xml(sample_file, tmp_path / "once", tmp_path / "twice")
    adds = {f.segment for f in done.findings if f.code == "PAE020"}
    assert adds and adds <= set(segment_roles())  # the ADDs are now held
    assert done.written  # warnings only: OnSIS keeps what it holds


def test_hostile_xml_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        "<ONSIS_BATCH_FILE><DATA><SCHOOL_SUBMISSION>&e;</SCHOOL_SUBMISSION></DATA></ONSIS_BATCH_FILE>"
    )
    done = invoke("pae-from-xml", hostile, "--pae", SAMPLE_PAE, "--out", tmp_path / "out")
    assert done.exit_code == 2 and "DIF001" in done.output and "top secret" not in done.output
    assert not (tmp_path / "out").exists()


def test_the_extracts_read_are_never_overwritten(sample_file):
    done = invoke("pae-from-xml", sample_file, "--pae", SAMPLE_PAE, "--out", SAMPLE_PAE)
    assert done.exit_code == 2 and "--out" in done.output


# --- what OnSIS does to rows ---------------------------------------------------------------


def _op(segment: str, action: str, key: str, parent: str | None = None, **cells) -> Op:
    role = segment_roles()[segment]
    return Op(role, action, key, parent, 1, cells, cells.pop("code", None))


def _rows(extract: str, *rows: dict) -> ExtractRows:
    columns = [c.name for c in load_layouts()[extract].columns]
    return ExtractRows(columns, [dict.fromkeys(columns) | row for row in rows])


def test_instructional_times_are_one_row_each_and_the_last_one_deleted_leaves_the_assignment():
    state = _rows("0009", {"men": "1", "position_type": "TEA", "instructional_tm_type": "GUI"})
    parents = state.apply_row(
        _op("SCHOOL_EDUCATOR_ASSIGNMENT", "UPDATE", "a", men="1", position_type="TEA")
    )
    state.apply_child(
        _op("INSTRUCTIONAL_TM", "ADD", "a/LIB", "a", instructional_tm_type="LIB"), parents
    )
    assert [r["instructional_tm_type"] for r in state.result()] == ["GUI", "LIB"]
    for code in ("GUI", "LIB"):
        state.apply_child(
            _op("INSTRUCTIONAL_TM", "DELETE", code, "a", instructional_tm_type=code), parents
        )
    assert [(r["men"], r["instructional_tm_type"]) for r in state.result()] == [("1", None)]


def test_a_leave_assignment_is_added_beside_the_one_it_interrupts_and_updates_find_their_own():
    state = _rows("0009", {"men": "1", "position_type": "TEA", "fte": 1.0})
    leave = dict(men="1", position_type="TEA", educator_leave_type="PAR", fte=0.5)
    state.apply_row(_op("SCHOOL_EDUCATOR_ASSIGNMENT", "ADD", "b", **leave))
    state.apply_row(_op("SCHOOL_EDUCATOR_ASSIGNMENT", "UPDATE", "c", **(leave | {"fte": 0.4})))
    assert [(r["educator_leave_type"], r["fte"]) for r in state.result()] == [
        (None, 1.0),
        ("PAR", 0.4),
    ]
    assert state.rejected == []


def test_sal_components_stay_one_comma_separated_cell():
    state = _rows(
        "0027",
        {
            "oen": "1",
            "salep_type": "S",
            "start_date": date(2025, 9, 2),
            "component_types": "001,007",
        },
    )
    key = dict(oen="1", salep_type="S", start_date=date(2025, 9, 2))
    parents = state.apply_row(_op("SALEP", "UPDATE", "s", **key))
    state.apply_child(_op("SALEP_COMPONENT", "DELETE", "s/1", "s", code="001"), parents)
    state.apply_child(_op("SALEP_COMPONENT", "ADD", "s/2", "s", code="002"), parents)
    assert state.result()[0]["component_types"] == "007,002"


def test_other_course_info_types_are_their_own_columns_and_refusals_are_kept():
    state = _rows("0004", {"oen": "1", "class_code": "MCV4U-01"})
    parents = state.apply_row(
        _op("STUDENT_CLASS_ENROLMENT", "UPDATE", "e", oen="1", class_code="mcv4u-01")
    )
    state.apply_child(_op("OTHER_COURSE_INFO", "ADD", "e/1", "e", code="1"), parents)
    state.apply_child(_op("OTHER_COURSE_INFO", "DELETE", "e/2", "e", code="2"), parents)
    state.apply_row(_op("STUDENT_CLASS_ENROLMENT", "ADD", "e", oen="1", class_code="MCV4U-01"))
    row = state.result()[0]
    assert (
        row["other_course_info_credit_recovery"],
        row["other_course_info_ministry_content"],
    ) == ("1", None)
    assert [(r.op.key, r.held) for r in state.rejected] == [("e/2", False), ("e", True)]
