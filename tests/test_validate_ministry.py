"""`validate --ministry`: the check mode for batch files other programs wrote.

The files here are made by the tests in the shape each vendor's envelope and quirks take
(facts from the shared research, never a vendor's file): the Ministry would take them, so
the check accepts them; each business-rule check then fails on one seeded defect, at the
file's line and element path, with OENs masked and personal values hidden.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from onsis_batch.cli import cli
from onsis_batch.validate.ministry import check_ministry_file
from onsis_batch.validate.ministry_xsd import (
    build_ministry_xsd,
    decimal_up_to,
    ministry_schema_path,
)

OEN = "123456782"
OTHER_OEN = "987654329"
Leaves = list[tuple[str, str | None]]
FLAGS_POWERSCHOOL: Leaves = [
    ("CLEAR_PENDING_AREA", "N"),
    ("CLEAR_SCHOOL_EDUCATOR_ASSIGNMENT", "Y"),
    ("CLEAR_STUDENT_SCHOOL_ENROLMENT", "Y"),
    ("CLEAR_CLASS", "Y"),
    ("CLEAR_STUDENT_NON_ENROLMENT", "Y"),
    ("CLEAR_NE_SHSM", "Y"),
]


def xml(tag: str, leaves: Leaves, *children: str, indent: str = "") -> str:
    """`<TAG>` with its leaf elements (None: empty) and child segments, one per line."""
    inner = indent + "  "
    lines = [f"{inner}<{k}/>" if v is None else f"{inner}<{k}>{v}</{k}>" for k, v in leaves]
    return f"{indent}<{tag}>\n" + "\n".join([*lines, *children]) + f"\n{indent}</{tag}>"


def enrolment(**changes: str | None) -> Leaves:
    """The elements of a full-time STUDENT_SCHOOL_ENROLMENT sent with ADD."""
    leaves: dict[str, str | None] = {
        "ACTION": "ADD",
        "GRADE_TYPE": "11",
        "LANGUAGE_TYPE": "E",
        "STU_BRD_RES_STAT_TYPE": "01",
        "ATTENDANCE_TYPE": "FT",
        "RESIDENCE_STATUS_TYPE": "3",
        "STUDENT_MOBILITY_TYPE": "36",
        "COUNTRY_TYPE": "647",
        "MAIN_SCHOOL_FLAG": "T",
        "FTE": "1.00",
        "ENROLMENT_START_DATE": "2025/09/02",
    }
    return changed(leaves, changes)


def changed(leaves: dict[str, str | None], changes: dict[str, str | None]) -> Leaves:
    """`leaves` with `changes` applied; a change to "-" leaves the element out."""
    return [(k, v) for k, v in (leaves | changes).items() if v != "-"]


def class_enrolment(**changes: str | None) -> Leaves:
    leaves: dict[str, str | None] = {
        "ACTION": "ADD",
        "CLASS_CODE": "MCR3U-01",
        "MINISTRY_DFND_CRS": "MCR3U",
        "LANGUAGE_TYPE": "E",
        "CREDIT_VALUE": "1.00",
        "COURSE_DELIVERY_TYPE": "1",
        "COURSE_SEM_TYPE": "2",
        "COURSE_START_DATE": "2025/09/02",
    }
    return changed(leaves, changes)


def a_class(**changes: str | None) -> str:
    leaves: dict[str, str | None] = {
        "ACTION": "ADD",
        "CLASS_CODE": "MCR3U-01",
        "CLASS_START_DATE": "2025/09/02",
        "CLASS_END_DATE": "2026/01/30",
        "CLASS_TYPE": "R",
        "LANGUAGE_TYPE": "E",
    }
    segment = xml(
        "SEGMENT",
        [
            ("ACTION", "ADD"),
            ("MINISTRY_DFND_CRS", "MCR3U"),
            ("LANGUAGE_TYPE", "E"),
            ("CREDIT_VALUE", "1.00"),
        ],
    )
    return xml("CLASS", changed(leaves, changes), segment)


def student(
    sse: Leaves | None = None, sce: Leaves | None = None, oen: str = OEN, tail: Leaves = ()
) -> str:
    """A STUDENT whose enrolment carries `tail` after its class enrolment (Aspen's habit)."""
    names: Leaves = [
        ("OEN", oen),
        ("STUDENT_LEGAL_GIVEN_NAME", "Zorvyn"),
        ("STUDENT_LEGAL_LAST_NAME", "Quellbrook"),
        ("STUDENT_DOB", "2009/03/14"),
        ("LANGUAGE_TYPE", "E"),
    ]
    children = xml("STUDENT_CLASS_ENROLMENT", class_enrolment() if sce is None else sce)
    tail_text = "\n".join(f"<{k}>{v}</{k}>" for k, v in tail)
    body = xml("STUDENT_SCHOOL_ENROLMENT", enrolment() if sse is None else sse, children, tail_text)
    return xml("STUDENT", names, body)


def batch(
    *segments: str,
    batch_type: str = "School Data Submission",
    flags: Leaves = FLAGS_POWERSCHOOL,
    flags_last: bool = False,
    period: str = "OCTSEC1",
    year: str = "2025-2026",
    encoding: str = "ISO-8859-1",
) -> str:
    """A whole file; `flags_last` puts the CLEAR_* flags after the segments (Aspen)."""
    header = xml(
        "HEADER",
        [
            ("VERSION", "1.0"),
            ("BATCH_TYPE", batch_type),
            ("BATCH_FILE_ID", "0001"),
            ("DATE", "2025/10/30"),
            ("TIME", "143000"),
        ],
    )
    flag_text = [f"<{k}>{v}</{k}>" for k, v in flags]
    school_parts = [*segments, *flag_text] if flags_last else [*flag_text, *segments]
    school = xml("SCHOOL", [("SCHOOL_NUMBER", "999001")], *school_parts)
    submission = xml(
        "SCHOOL_SUBMISSION", [("ACADEMIC_YEAR", year), ("SUBMISSION_PERIOD_TYPE", period)], school
    )
    body = xml("ONSIS_BATCH_FILE", [], header, xml("DATA", [], submission))
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{body}\n'


def write(tmp_path: Path, text: str, name: str = "vendor.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("iso-8859-1" if "ISO" in text[:60] else "utf-8"))
    return path


def check(tmp_path: Path, text: str, **options: bool):
    return check_ministry_file(write(tmp_path, text), **options)


def codes_of(result) -> list[str]:
    return [f.code for f in result.findings]


# --- files the Ministry takes ---------------------------------------------------------------


def powerschool_like() -> str:
    """Rule-book spelling, CLEAR_PENDING_AREA N and five purge flags Y, two decimals."""
    return batch(a_class(), student())


def aspen_like() -> str:
    """Another BATCH_TYPE spelling, CLEAR_PENDING_AREA Y only and after the students,
    enrolment elements after the child segments, FTE `.50` part-time, ADE with one place,
    UTF-8."""
    sse = enrolment(ATTENDANCE_TYPE="PT", FTE=".50", ENROLMENT_START_DATE="-")
    tail: Leaves = [("ENROLMENT_START_DATE", "2025/09/02"), ("ADE", "0.5")]
    return batch(
        a_class(),
        student(sse=sse, tail=tail),
        batch_type="Secondary School Data Submission",
        flags=[("CLEAR_PENDING_AREA", "Y")],
        flags_last=True,
        encoding="UTF-8",
    )


def edsembli_like() -> str:
    """CLEAR_PENDING_AREA N plus some purge flags only; the June period."""
    sce = class_enrolment(COURSE_END_DATE="2026/01/30", EARNED_CREDIT_VALUE="1.00", FINAL_MARK="78")
    flags: Leaves = [("CLEAR_PENDING_AREA", "N"), ("CLEAR_CLASS", "Y")]
    return batch(a_class(), student(sce=sce), flags=flags, period="JUNSEC1")


def aspen_june_like() -> str:
    return batch(
        a_class(), student(), batch_type="June Secondary School", flags=(), period="JUNSEC1"
    )


@pytest.mark.parametrize(
    "make", [powerschool_like, aspen_like, edsembli_like, aspen_june_like], ids=lambda m: m.__name__
)
def test_vendor_envelopes_and_quirks_are_accepted(tmp_path, make):
    result = check(tmp_path, make())
    assert result.findings == [], [str(f) for f in result.findings]
    assert result.valid


def test_our_schema_refuses_what_the_check_mode_accepts(tmp_path):
    from onsis_batch.validate.batch_file import validate_file

    path = write(tmp_path, aspen_like())
    assert validate_file(path)  # our own schema: the five flags, the order, two decimals
    assert check_ministry_file(path).findings == []


def test_our_generated_sample_passes(tmp_path):
    out = tmp_path / "out"
    args = ["generate", "--sample", "--period", "oct", "--out", str(out), "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    [made] = out.glob("*.xml")
    checked = CliRunner().invoke(cli, ["validate", str(made), "--ministry", "--json"])
    data = json.loads(checked.output)
    assert checked.exit_code == 0, data["findings"]
    assert data["mode"] == "ministry" and data["valid"] and data["segments_read"] > 100


# --- the relaxed schema ---------------------------------------------------------------------


def test_relaxed_schema_is_generated_and_current():
    assert ministry_schema_path().read_text(encoding="utf-8") == build_ministry_xsd()


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=4))
def test_decimal_takes_up_to_its_places(whole, shown):
    pattern = re.compile(decimal_up_to(2).facets[0][1])
    digits = "5" * shown
    text = f"{whole}.{digits}" if shown else str(whole)
    assert bool(pattern.fullmatch(text)) == (shown <= 2)
    assert bool(pattern.fullmatch(f".{digits}")) == (1 <= shown <= 2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (batch(student(), batch_type="School Data"), "BATCH_TYPE"),
        (batch(student(sse=enrolment(FTE="0.505"))), "FTE"),
        (batch(student(sce=class_enrolment(CLASS_CODE="X" * 26))), "CLASS_CODE"),
        (batch(student(oen="12345678")), "OEN"),
        (batch(student(sse=enrolment(MAIN_SCHOOL_FLAG="Y"))), "MAIN_SCHOOL_FLAG"),
        (
            batch(student()).replace("<FTE>", "<FTE_TYPO>").replace("</FTE>", "</FTE_TYPO>"),
            "FTE_TYPO",
        ),
    ],
    ids=["batch-type", "three-places", "class-code-length", "oen-format", "flag", "unknown"],
)
def test_schema_refusals_name_line_and_path(tmp_path, text, reason):
    result = check(tmp_path, text)
    [schema] = [f for f in result.findings if f.code == "XSD001"][:1]
    assert reason in schema.message_en and schema.line and schema.xpath
    assert schema.file == str(tmp_path / "vendor.xml")


def test_malformed_oen_is_masked_in_schema_findings(tmp_path):
    result = check(tmp_path, batch(student(oen="12345678")))
    text = " ".join(f.message_en + (f.key or "") for f in result.findings)
    assert "12345678" not in text and "*****678" in text


# --- business rules, one seeded defect each -------------------------------------------------


def _one(result, code: str):
    found = [f for f in result.findings if f.code == code]
    assert found, [str(f) for f in result.findings]
    return found[0]


@pytest.mark.parametrize(
    ("text", "code", "element"),
    [
        (batch(student(sse=enrolment(FTE="-"))), "MIN002", "FTE"),
        (batch(student(sse=enrolment(GRADE_TYPE=None))), "MIN002", "GRADE_TYPE"),
        (
            batch(student(sce=class_enrolment(COURSE_START_DATE=None))),
            "MIN002",
            "COURSE_START_DATE",
        ),
        (batch(student(sce=class_enrolment(ACTION="-"))), "MIN001", "ACTION"),
        (batch(student(), flags=()).replace("<VERSION>1.0</VERSION>", ""), "MIN001", "VERSION"),
        (batch(student(tail=[("FTE", "1.00")])), "MIN003", "FTE"),
        (batch(student(sse=enrolment(GRADE_TYPE="14"))), "MIN004", "GRADE_TYPE"),
        (
            batch(student(sse=enrolment(STU_BRD_RES_STAT_TYPE="06"))),
            "MIN005",
            "STU_BRD_RES_STAT_TYPE",
        ),
        (
            batch(student(sse=enrolment(ENROLMENT_START_DATE="2025/09/31"))),
            "MIN006",
            "ENROLMENT_START_DATE",
        ),
        (
            batch(student(sse=enrolment(ENROLMENT_END_DATE="2025/09/01"))),
            "MIN007",
            "ENROLMENT_END_DATE",
        ),
        (batch(a_class(CLASS_END_DATE="2025/08/01"), student()), "MIN007", "CLASS_END_DATE"),
        (
            batch(student(sce=class_enrolment(COURSE_END_DATE="2025/09/01"))),
            "MIN007",
            "COURSE_END_DATE",
        ),
        (batch(student(sse=enrolment(FTE="1.20"))), "RUL005", "FTE"),
        (batch(student(sse=enrolment(ATTENDANCE_TYPE="PT"))), "RUL007", None),
        (
            batch(student(sse=enrolment(ENROLMENT_START_DATE="2025/11/15"))),
            "RUL002",
            "ENROLMENT_START_DATE",
        ),
        (batch(student(), student()), "RUL010", None),
    ],
    ids=[
        "fte-missing-on-add",
        "grade-empty-on-add",
        "course-start-empty-on-add",
        "action-missing",
        "header-version-missing",
        "element-twice",
        "unknown-code",
        "retired-code",
        "date-that-does-not-exist",
        "enrolment-ends-before-start",
        "class-ends-before-start",
        "course-ends-before-start",
        "fte-above-one",
        "part-time-with-full-fte",
        "start-after-count-date",
        "oen-twice",
    ],
)
def test_each_check_fails_on_its_seeded_defect(tmp_path, text, code, element):
    result = check(tmp_path, text)
    found = _one(result, code)
    assert not result.valid
    assert found.file and found.line and found.xpath, found
    if element:
        assert found.xpath.endswith(element) or found.params.get("element") == element, found
    assert OEN not in str(found) and OEN not in (found.key or "")


def test_codes_are_judged_by_the_period_of_the_file(tmp_path):
    retired = batch(student(sse=enrolment(STU_BRD_RES_STAT_TYPE="06")), year="2013-2014")
    assert "MIN005" not in codes_of(check(tmp_path, retired))


def test_unknown_period_is_said_and_period_checks_skipped(tmp_path):
    result = check(tmp_path, batch(student(), period="JUNSECSUS"))
    assert codes_of(result) == ["MIN008"]


def test_private_school_sends_no_fte(tmp_path):
    text = batch(student(sse=enrolment(FTE="-")))
    assert "MIN002" in codes_of(check(tmp_path, text))
    assert check(tmp_path, text, private=True).findings == []


def test_personal_values_stay_hidden_unless_asked(tmp_path):
    text = batch(
        student(sse=enrolment(ENROLMENT_START_DATE="2025/09/31")).replace(
            "2009/03/14", "2009/02/30"
        )
    )
    hidden = check(tmp_path, text)
    shown = check(tmp_path, text, show_pii=True)
    dob = next(f for f in hidden.findings if f.params.get("element") == "STUDENT_DOB")
    assert "2009/02/30" not in dob.message_en and "personal" in dob.message_en
    assert any(OEN in (f.key or "") for f in shown.findings)
    assert all(OEN not in (f.key or "") + f.message_en for f in hidden.findings)


# --- the command ----------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def test_cli_exit_codes_and_french(tmp_path):
    good = write(tmp_path, aspen_like(), "good.xml")
    bad = write(tmp_path, batch(student(sse=enrolment(FTE="1.20"))), "bad.xml")
    broken = write(tmp_path, "<ONSIS_BATCH_FILE><HEADER>", "broken.xml")
    assert run(str(good), "--ministry").exit_code == 0
    assert run(str(good)).exit_code == 1  # our own schema refuses the vendor's envelope
    french = run(str(bad), "--ministry", "--lang", "fr")
    assert french.exit_code == 1 and "est hors de l'intervalle" in french.output
    assert "non conforme" in french.output and "******782" in french.output
    assert run(str(broken), "--ministry").exit_code == 2


def test_cli_json_follows_the_envelope(tmp_path):
    from jsonschema import validate as json_validate

    bad = write(tmp_path, batch(student(sse=enrolment(GRADE_TYPE="14"))))
    result = run(str(bad), "--ministry", "--json")
    data = json.loads(result.output)
    schema = json.loads(Path("onsis_batch/cli/output.schema.json").read_text(encoding="utf-8"))
    json_validate(data, schema)
    assert data["verdict"] == "errors" and data["exit_code"] == 1
    assert data["submission"] == "2025-2026 OCTSEC1"
    [unknown] = [f for f in data["findings"] if f["code"] == "MIN004"]
    assert unknown["line"] > 1 and unknown["xpath"].endswith("GRADE_TYPE")


def test_cli_refuses_explain_and_private_without_ministry(tmp_path):
    path = write(tmp_path, powerschool_like())
    assert run(str(path), "--ministry", "--explain").exit_code == 2
    assert run(str(path), "--private").exit_code == 2
