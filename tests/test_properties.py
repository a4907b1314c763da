"""Property tests: any valid input gives a schema-valid file; any corrupt input gives
findings, never a traceback."""

import io
import string
from datetime import date, datetime, timedelta

from builders import BSID, Scenario, write_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from onsis_batch.codes import code_table
from onsis_batch.render.xml import render_plan
from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.validate.xsd import schema_path

SCHEMA = etree.XMLSchema(etree.parse(str(schema_path())))
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

day = st.dates(min_value=date(2022, 9, 1), max_value=date(2026, 6, 30))
name = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30)


def codes(table):
    return st.sampled_from(sorted(code_table(table).codes))


@st.composite
def enrolment(draw, student_id):
    entry = draw(day)
    exit_ = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda d: entry + timedelta(days=d))))
    return {
        "student_id": student_id,
        "entry_date": entry,
        "exit_date": exit_,
        "grade_level": draw(st.sampled_from(["8", "9", "10", "11", "12"])),
        "entry_code": draw(codes("student_mobility_type")),
        "exit_code": draw(
            st.one_of(st.none(), codes("student_mobility_type_exit"), st.just("NS"), st.just("ZZ"))
        ),
        "is_cross_enrolment": draw(st.booleans()),
        "home_school_level": draw(st.one_of(st.none(), codes("home_school_level"))),
        "attendance_type": draw(st.one_of(st.none(), codes("sis_attendance_type"))),
        "board_residence_status": draw(codes("stu_brd_res_stat_type")),
        "fte": draw(st.one_of(st.none(), st.floats(0, 1))),
        "high_credit_fte": draw(st.one_of(st.none(), st.floats(0, 1))),
        "ade": draw(st.one_of(st.none(), st.floats(0, 1))),
        "current_province": draw(st.one_of(st.none(), st.sampled_from(["ON", "QC"]))),
    }


@st.composite
def scenarios(draw):
    scenario = Scenario()
    for i in range(draw(st.integers(1, 6))):
        sid = str(i + 1)
        oen = f"99900000{i}"
        scenario.student(
            sid,
            oen,
            first_name=draw(name) or "A",
            legal_last_name=draw(name) or None,
            postal_code=draw(st.text(string.ascii_letters + string.digits + " ", max_size=7)),
            gender=draw(st.one_of(st.none(), codes("gender_type"))),
            scholarship_date=draw(st.one_of(st.none(), day)),
        )
        for _ in range(draw(st.integers(0, 3))):
            scenario.school_enrolments.append({"school_id": "100", **draw(enrolment(sid))})
        if draw(st.booleans()):
            scenario.in_pae(
                oen, enrolment_start_date=draw(day), main_school_flag=draw(st.booleans())
            )
    if draw(st.booleans()):
        scenario.in_pae("999999999")
    # Distinct entry dates per student: the contract key is (student, school, entry date).
    seen, unique = set(), []
    for row in scenario.school_enrolments:
        key = (row["student_id"], row["entry_date"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    scenario.school_enrolments = unique
    return scenario


@SETTINGS
@given(scenarios(), st.sampled_from(["oct", "mar", "jun"]), st.booleans())
def test_valid_inputs_always_give_a_schema_valid_file(scenario, kind, private):
    plan, _ = scenario.plan(kind, private)
    buffer = io.BytesIO()
    render_plan(plan, buffer, created=datetime(2025, 10, 31, 9, 0))
    document = etree.fromstring(buffer.getvalue())
    assert SCHEMA.validate(document), SCHEMA.error_log.last_error


CORRUPTIONS = st.sampled_from(
    [
        ("students.csv", "birth_date", "2025-02-30"),
        ("students.csv", "gender", "Q"),
        ("school_enrolments.csv", "entry_date", "yesterday"),
        ("school_enrolments.csv", "fte", "one"),
        ("school_enrolments.csv", "student_id", "nobody"),
        ("schools.csv", "is_closed", "maybe"),
        ("board_settings.csv", "oct_count_date", ""),
    ]
)


@SETTINGS
@given(CORRUPTIONS, st.binary(max_size=40))
def test_corrupt_inputs_give_findings_never_a_traceback(tmp_path_factory, corruption, noise):
    root = tmp_path_factory.mktemp("corrupt")
    scenario = Scenario().student("1", "999000001").enrol("1", date(2025, 9, 3)).in_pae("999000001")
    data, pae = write_scenario(scenario, root)
    file, column, value = corruption
    path = data / file
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = next(iter(__import__("csv").reader([lines[1]])))
    cells[header.index(column)] = value
    lines[1] = ",".join(f'"{c}"' for c in cells)
    path.write_bytes(("\n".join(lines) + "\n").encode() + noise)
    request = PlanRequest(data, pae, "oct", "2025-2026", (BSID,))
    result = generate(request, root / "out", created=datetime(2025, 10, 31, 9, 0))
    assert result.exit_code == 2
    assert result.findings and result.output is None
