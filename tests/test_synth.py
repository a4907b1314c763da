"""The synthetic-data generator: contract-shaped, coherent, deterministic, PAE in step."""

from __future__ import annotations

import functools
import random
import re
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from onsis_batch.codes import code_table
from onsis_batch.contract import contract
from onsis_batch.pae.extracts import extract_file_name, read_pae_folder
from onsis_batch.period.periods import PERIOD_KINDS, default_period_code
from onsis_batch.run.pipeline import generate
from onsis_batch.run.request import PlanRequest
from onsis_batch.sources import load_folder
from onsis_batch.synth import extract_files, synthesize
from onsis_batch.synth.calendar import Calendar
from onsis_batch.synth.extract_files import write_board_extract
from onsis_batch.synth.rand import share_of, some_of, take_share
from onsis_batch.synth.schools import make_board
from onsis_batch.synth.tables import ColumnStore

EXTRACTS = ("0001", "0002", "0003", "0004", "0005", "0007", "0009", "0010", "0026", "0027", "0028")

YEAR = "2025-2026"
SCENARIOS = (
    "returning",
    "new",
    "new_later",
    "non_returning",
    "transferred_out",
    "enter_and_leave",
    "cross_enrolled",
    "no_show",
    "same_day",
    "excluded",
    "internal_transfer",
    "missing_oen",
    "part_time",
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return out, synthesize(out, students=300, schools=2, seed=7)


def table(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "data" / f"{name}.csv", infer_schema=False)


def scenarios(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "scenarios.csv", infer_schema=False)


def extract(out: Path, summary, kind: str, number: str = "0003") -> dict[str, pl.DataFrame]:
    """Rows of an extract per BSID, read back with the project's PAE reader (which must not
    complain about any of the period's files)."""
    frames = _period_frames(summary.pae_dirs[kind], tuple(summary.bsids), kind)
    return {bsid: frames[(number, bsid)] for bsid in summary.bsids}


@functools.cache
def _period_frames(
    folder: Path, bsids: tuple[str, ...], kind: str
) -> dict[tuple[str, str], pl.DataFrame]:
    """Every extract of a period's folder, read once: the folders read here (the module's
    board) are never written to after they are made, and a read takes every extract."""
    code, description = default_period_code(kind, YEAR)
    pae = read_pae_folder(
        folder,
        school_year=YEAR,
        period_code=code,
        period_description=description,
        bsids=bsids,
        required=EXTRACTS,
    )
    assert pae.findings == []
    return pae.frames


def held_students(out: Path, summary, kind: str) -> set[str]:
    """Student ids OnSIS holds in the period's 0003, whatever the BSID."""
    oens = table(out, "students").select(
        pl.col("oen").str.replace_all("-", "").alias("oen"), "student_id"
    )
    held = pl.concat([f.select("oen") for f in extract(out, summary, kind).values()])
    return set(held.join(oens, on="oen").get_column("student_id").to_list())


def test_same_arguments_give_identical_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    first = synthesize(a, students=120, schools=2, seed=3)
    synthesize(b, students=120, schools=2, seed=3)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    tables = len(set(contract()) - {"code_mappings"})
    assert len(files) == tables + 3 * len(EXTRACTS) + 1  # tables, extracts per period, scenarios
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = synthesize(c, students=120, schools=2, seed=4)
    assert other.bsids != first.bsids
    students = Path("data/students.csv")
    assert (c / students).read_bytes() != (a / students).read_bytes()


def test_tables_have_exactly_the_contract_columns(run):
    out, _ = run
    written = sorted(p.stem for p in (out / "data").glob("*.csv"))
    assert written == sorted(set(contract()) - {"code_mappings"})
    for name in written:
        header = (out / "data" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(contract()[name].column_names), name


def _bad_cells(column, values: list[str]) -> list[str]:
    if column.type == "code":
        codes = code_table(column.codes)
        allowed = {"NS"} if column.unknown == "keep" else set()  # the no-show marker
        return [v for v in values if not codes.is_valid(v) and v not in allowed]
    if column.type == "flag":
        return [v for v in values if v not in ("T", "F")]
    if column.type == "date":
        return [v for v in values if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)]
    if column.type == "year_month":
        return [v for v in values if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v)]
    if column.type == "decimal":
        return [v for v in values if not re.fullmatch(r"\d+\.\d+", v)]
    if column.type == "integer":
        return [v for v in values if not re.fullmatch(r"\d+", v)]
    bad = [v for v in values if column.max_length and len(v) > column.max_length]
    return bad + [v for v in values if column.pattern and not re.fullmatch(column.pattern, v)]


def test_every_value_is_valid_for_its_column(run):
    out, _ = run
    for name in sorted(set(contract()) - {"code_mappings"}):
        frame = table(out, name)
        for column in contract()[name].columns:
            values = frame.get_column(column.name).drop_nulls().to_list()
            assert _bad_cells(column, values) == [], (name, column.name)
            if column.required:
                assert frame.get_column(column.name).null_count() == 0, (name, column.name)


def test_the_project_loader_reads_the_data_without_findings(run):
    out, _ = run
    assert load_folder(out / "data").findings == []


def test_every_scenario_occurs(run):
    _, summary = run
    assert summary.students == 300
    for name in SCENARIOS:
        assert summary.counts[name] >= 1, name
    main = (
        "returning",
        "new",
        "new_later",
        "non_returning",
        "transferred_out",
        "internal_transfer",
        "enter_and_leave",
        "cross_enrolled",
        "no_show",
        "same_day",
        "excluded",
    )
    assert sum(summary.counts[name] for name in main) == 300


def test_schools_bsids_and_board_settings(run):
    out, summary = run
    schools = table(out, "schools")
    assert schools.height == 4  # two main schools, a campus sharing the first BSID, a closed one
    assert all(re.fullmatch(r"99\d{4}", b) for b in schools.get_column("bsid"))
    open_schools = schools.filter(pl.col("is_closed") == "F")
    bsids = open_schools.get_column("bsid").unique(maintain_order=True).to_list()
    assert bsids == list(summary.bsids)
    assert open_schools.get_column("bsid").value_counts().get_column("count").max() == 2
    closed = schools.filter(pl.col("is_closed") == "T").get_column("bsid").to_list()
    assert len(closed) == 1 and closed[0] not in summary.bsids
    settings = table(out, "board_settings").row(0, named=True)
    assert settings["oct_count_date"] == "2025-10-31" and settings["mar_count_date"] == "2026-03-31"
    assert settings["jun_count_date"] == "2026-06-30" and settings["french_board"] == "F"
    assert settings["last_school_day"].startswith("2026-06-")


def test_oens_are_fake_unique_and_sometimes_missing_or_dashed(run):
    out, _ = run
    oens = table(out, "students").get_column("oen")
    assert oens.null_count() >= 1
    written = oens.drop_nulls().to_list()
    assert any("-" in oen for oen in written)
    digits = [oen.replace("-", "") for oen in written]
    assert all(re.fullmatch(r"99\d{7}", oen) for oen in digits)
    assert len(set(digits)) == len(digits)


def test_enrolments_are_coherent(run):
    out, _ = run
    enrolments = table(out, "school_enrolments")
    assert enrolments.select("student_id", "school_id", "entry_date").is_duplicated().sum() == 0
    dated = enrolments.filter(pl.col("exit_date").is_not_null())
    assert (dated.get_column("entry_date") <= dated.get_column("exit_date")).all()
    students = set(table(out, "students").get_column("student_id"))
    assert set(enrolments.get_column("student_id")) <= students
    # Grades never go down along a student's main enrolments.
    main = enrolments.filter(pl.col("is_cross_enrolment") == "F").sort("student_id", "entry_date")
    for _, rows in main.group_by("student_id"):
        grades = [int(g) for g in rows.get_column("grade_level")]
        assert grades == sorted(grades)
    cross = enrolments.filter(pl.col("is_cross_enrolment") == "T")
    assert set(cross.get_column("home_school_level")) <= {"E", "S"}
    assert set(cross.get_column("board_residence_status")) <= {"08", "09"}
    assert cross.get_column("fte").null_count() == cross.height


def test_birth_dates_fit_the_grade(run):
    out, _ = run
    students = table(out, "students").filter(pl.col("mature_student") == "F")
    current = table(out, "school_enrolments").filter(pl.col("entry_date") >= "2025-07-01")
    ages = current.join(students, on="student_id").select(
        (
            2025
            - pl.col("birth_date").str.slice(0, 4).cast(pl.Int32)
            - pl.col("grade_level").cast(pl.Int32)
        ).alias("gap")
    )
    assert set(ages.get_column("gap")) <= {5, 6}


def test_newcomers_carry_their_origin(run):
    out, _ = run
    enrolments = table(out, "school_enrolments")
    abroad = enrolments.filter(pl.col("entry_code") == "36")
    assert abroad.height > 0 and abroad.get_column("entry_country").null_count() == 0
    other_province = enrolments.filter(pl.col("entry_code") == "35")
    assert other_province.height > 0
    for column in ("entry_province", "entry_language"):
        assert other_province.get_column(column).null_count() == 0
    students = table(out, "students")
    born_abroad = students.filter(pl.col("birth_country").fill_null("CAN") != "CAN")
    assert born_abroad.height > 0
    assert born_abroad.get_column("year_of_entry_to_canada").null_count() == 0
    first_entry = enrolments.group_by("student_id").agg(pl.col("entry_date").min())
    arrived = born_abroad.join(first_entry, on="student_id")
    month = arrived.get_column("entry_date").str.slice(0, 7)
    assert (arrived.get_column("year_of_entry_to_canada") <= month).all()


def test_part_time_and_full_time_loads(run):
    out, _ = run
    main = table(out, "school_enrolments").filter(pl.col("is_cross_enrolment") == "F")
    loads = set(main.select("attendance_type", "fte").unique().iter_rows())
    assert {("FT", "1.00"), ("PT", "0.50")} <= loads
    assert loads <= {("FT", "1.00"), ("PT", "0.50"), ("EX", "1.00")}


def test_each_extract_per_period_with_one_block_per_bsid(run):
    out, summary = run
    assert set(summary.pae_dirs) == set(PERIOD_KINDS)
    for kind in PERIOD_KINDS:
        code, _ = default_period_code(kind, YEAR)
        assert summary.pae_dirs[kind] == out / "pae" / code
        assert (out / "pae" / code / extract_file_name("0003")).is_file()
        for number in EXTRACTS:
            path = out / "pae" / code / extract_file_name(number)
            lines = path.read_text(encoding="cp1252").splitlines()
            heads = [line.split(",")[1].strip('"') for line in lines if line.startswith('"H2"')]
            assert heads == list(summary.bsids), (kind, number)
            extract(out, summary, kind, number)  # read back without a finding


def _who(out: Path, scenario: str, variant: str | None = None) -> set[str]:
    frame = scenarios(out).filter(pl.col("scenario") == scenario)
    if variant is not None:
        frame = frame.filter(pl.col("variant") == variant)
    missing = frame.filter(pl.col("traits").str.contains("missing_oen").fill_null(False))
    return set(frame.get_column("student_id")) - set(missing.get_column("student_id"))


def test_extract_membership_follows_the_scenarios(run):
    out, summary = run
    held = {kind: held_students(out, summary, kind) for kind in PERIOD_KINDS}
    expected = {  # scenario -> (in October's, March's, June's 0003)
        "returning": (True, True, True),
        "internal_transfer": (True, True, True),
        "new": (False, True, True),
        "new_later": (False, False, True),
        "non_returning": (True, False, False),
        "no_show": (True, False, False),
        "enter_and_leave": (False, False, False),
    }
    for scenario, flags in expected.items():
        for kind, present in zip(PERIOD_KINDS, flags, strict=True):
            students = _who(out, scenario)
            assert students, scenario
            found = students <= held[kind] if present else not students & held[kind]
            assert found, (scenario, kind)
    left = _who(out, "transferred_out", "returning")
    assert left <= held["oct"] and not left & (held["mar"] | held["jun"])
    assert not _who(out, "same_day", "alone") & (held["oct"] | held["mar"] | held["jun"])
    assert not _who(out, "excluded") & (held["mar"] | held["jun"])
    missing = scenarios(out).filter(pl.col("traits").str.contains("missing_oen").fill_null(False))
    assert not set(missing.get_column("student_id")) & (held["mar"] | held["jun"])


def test_extract_rows_hold_the_original_start_and_no_end(run):
    out, summary = run
    enrolments = table(out, "school_enrolments").join(
        table(out, "schools").select("school_id", "bsid"), on="school_id"
    )
    first_entry = enrolments.group_by("student_id", "bsid").agg(
        pl.col("entry_date").min().str.to_date().alias("first")
    )
    oens = table(out, "students").select(
        pl.col("oen").str.replace_all("-", "").alias("oen"), "student_id"
    )
    returning = _who(out, "returning")
    for bsid, frame in extract(out, summary, "mar").items():
        assert frame.get_column("enrolment_end_date").null_count() == frame.height
        rows = frame.join(oens, on="oen").filter(pl.col("student_id").is_in(sorted(returning)))
        rows = rows.join(first_entry.filter(pl.col("bsid") == bsid), on="student_id")
        assert rows.height > 0
        assert (rows.get_column("enrolment_start_date") == rows.get_column("first")).all()
        assert rows.get_column("enrolment_start_date").max() < date(2025, 7, 1)


def test_cross_enrolments_in_the_extract_are_not_main_school(run):
    out, summary = run
    oens = table(out, "students").select(
        pl.col("oen").str.replace_all("-", "").alias("oen"), "student_id"
    )
    reach_ahead = _who(out, "cross_enrolled", "E")
    rows = pl.concat(extract(out, summary, "jun").values()).join(oens, on="oen")
    rows = rows.filter(pl.col("student_id").is_in(sorted(reach_ahead)))
    assert rows.height == len(reach_ahead & held_students(out, summary, "jun"))
    assert not rows.get_column("main_school_flag").any()
    assert rows.get_column("reach_ahead_flag").all()
    assert set(rows.get_column("grade_type")) <= {"9"}


def test_only_the_requested_periods_are_written(tmp_path):
    summary = synthesize(tmp_path, students=10, periods=("oct",))
    assert list(summary.pae_dirs) == ["oct"]
    assert [p.name for p in (tmp_path / "pae").iterdir()] == ["OCTSEC1"]
    with pytest.raises(ValueError, match="unknown period"):
        synthesize(tmp_path, students=10, periods=("nov",))


# -- timetable, classes, marks and the class extracts ------------------------------------


def dated(out: Path, name: str, *columns: str) -> pl.DataFrame:
    return table(out, name).with_columns(pl.col(c).str.to_date() for c in columns)


def test_terms_are_a_year_two_semesters_a_continued_term_and_q4(run):
    out, _ = run
    terms = dated(out, "terms", "first_day", "last_day")
    schools = table(out, "schools").filter(pl.col("is_closed") == "F")
    assert set(terms.get_column("school_id")) == set(schools.get_column("school_id"))
    for _, rows in terms.group_by("school_id"):
        by_sem = {r["name"]: r for r in rows.iter_rows(named=True)}
        year, first, second = by_sem["Full Year"], by_sem["Semester 1"], by_sem["Semester 2"]
        assert (year["course_sem_type"], first["course_sem_type"]) == ("1", "2")
        assert second["course_sem_type"] == "2" and second["portion"] == "2"
        assert year["first_day"] == first["first_day"] and year["last_day"] == second["last_day"]
        assert first["last_day"].month == 1 and second["first_day"].month == 2
        continued = rows.filter(pl.col("first_day") < date(2025, 7, 1)).row(0, named=True)
        assert continued["course_sem_type"] == "1"
        assert continued["last_day"] == first["last_day"]
        q4 = rows.filter(pl.col("course_sem_type") == "3").row(0, named=True)
        assert (q4["portion"], q4["last_day"]) == ("4", year["last_day"])
        assert date(2026, 4, 1) <= q4["first_day"] <= date(2026, 4, 30)


def test_calendar_has_weekdays_pa_days_g_days_and_alternating_cycle_days(run):
    out, _ = run
    days = dated(out, "calendar_days", "date")
    assert (days.get_column("date").dt.weekday() <= 5).all()
    assert days.filter(pl.col("in_session") == "F").height >= 10  # holidays and PA days
    g_days = days.filter(pl.col("is_g_day") == "T")
    assert g_days.height >= 2 and (g_days.get_column("in_session") == "T").all()
    assert days.filter(pl.col("in_session") == "F").get_column("cycle_day").null_count() == (
        days.filter(pl.col("in_session") == "F").height
    )
    school = days.get_column("school_id")[0]
    cycle = (
        days.filter(
            (pl.col("school_id") == school)
            & (pl.col("in_session") == "T")
            & (pl.col("date") >= date(2025, 9, 1))
        )
        .sort("date")
        .get_column("cycle_day")
        .to_list()
    )
    assert cycle[:4] == ["A", "B", "A", "B"] and set(cycle) == {"A", "B"}


def test_courses_cover_the_kinds_a_submission_meets(run):
    out, _ = run
    courses = table(out, "courses")
    assert 55 <= courses.height <= 75
    assert set(courses.get_column("course_type")) == {"M", "L", "P"}
    dual = courses.filter(pl.col("institution").is_not_null()).row(0, named=True)
    assert dual["course_number"].startswith(dual["ministry_code"]) and len(dual["institution"]) == 4
    codes = set(courses.get_column("course_number").str.slice(0, 5))
    assert {"ENG4U", "MHF4U", "SNC2D", "CHC2D", "CGC1D", "CHV2O", "GLC2O", "OLC4O"} <= codes
    assert {"ESLAO", "PLE99"} <= codes
    assert courses.get_column("ministry_code").null_count() > 0  # read from the number


def test_sections_class_codes_combined_classes_and_meetings(run):
    out, summary = run
    sections = table(out, "sections").join(
        table(out, "schools").select("school_id", "bsid"), on="school_id"
    )
    assert sections.get_column("class_code").str.contains(r"^[A-Z0-9]{5}-\d{2,3}$").all()
    # A class code names one class per BSID: several sections only in a combined class,
    # and then of different courses at the same school and term.
    shared = (
        sections.group_by("bsid", "class_code")
        .agg(
            pl.len(),
            pl.col("course_number").n_unique().alias("courses"),
            pl.col("school_id").n_unique().alias("schools"),
            pl.col("term_id").n_unique().alias("terms"),
        )
        .filter(pl.len() > 1)
    )
    assert shared.height >= 1
    assert (shared.get_column("len") == shared.get_column("courses")).all()
    assert (shared.get_column("schools") == 1).all() and (shared.get_column("terms") == 1).all()
    # The campus shares the first BSID and numbers its sections from 51.
    first = sections.filter(pl.col("bsid") == summary.bsids[0])
    numbers = first.group_by("school_id").agg(
        pl.col("class_code").str.extract(r"-(\d+)$").cast(pl.Int32).min().alias("low")
    )
    assert sorted(numbers.get_column("low").to_list()) == [1, 51]
    assert set(sections.get_column("delivery_type").drop_nulls()) >= {"1", "2", "12", "18", "19"}
    assert {"RCR", "E", "NE"} <= set(sections.get_column("class_type").drop_nulls())
    assert sections.filter(pl.col("credit_recovery") == "T").height >= 1
    assert sections.filter(pl.col("is_previous_year") == "T").height >= 1
    meetings = table(out, "section_meetings")
    assert set(meetings.get_column("minutes")) == {"75"}
    assert set(meetings.get_column("cycle_day").drop_nulls()) == {"A", "B"}
    unscheduled = sections.join(meetings, on="section_id", how="anti")
    assert (unscheduled.get_column("is_independent_study") == "T").all()


def test_class_enrolments_sit_inside_term_and_school_enrolment(run):
    out, _ = run
    classes = dated(out, "class_enrolments", "date_enrolled", "date_left")
    assert classes.select("student_id", "section_id", "date_enrolled").is_duplicated().sum() == 0
    assert (classes.get_column("date_enrolled") <= classes.get_column("date_left")).all()
    terms = dated(out, "terms", "first_day", "last_day")
    placed = classes.join(table(out, "sections"), on="section_id").join(
        terms.drop("school_id"), on="term_id"
    )
    assert placed.height == classes.height
    assert (placed.get_column("date_enrolled") >= placed.get_column("first_day")).all()
    after = placed.select(pl.col("date_left") <= pl.col("last_day") + pl.duration(days=1))
    assert after.to_series().all()
    # Within a school enrolment at the section's school (continued classes began last year).
    enrolments = dated(out, "school_enrolments", "entry_date", "exit_date").select(
        "student_id", "school_id", "entry_date", pl.col("exit_date").fill_null(date(2026, 7, 1))
    )
    current = placed.filter(pl.col("is_previous_year") == "F")
    covered = current.join(enrolments, on=["student_id", "school_id"]).filter(
        (pl.col("entry_date") <= pl.col("date_enrolled"))
        & (pl.col("date_left") <= pl.col("exit_date"))
    )
    assert covered.select("student_id", "section_id", "date_enrolled").n_unique() == current.height
    # Most students take eight courses (four a semester); the half credits share a slot.
    full = current.filter(
        (pl.col("date_enrolled") <= date(2025, 9, 15)) & (pl.col("date_left") > date(2026, 6, 1))
    )
    per_student = (
        placed.join(full.select("student_id").unique(), on="student_id")
        .group_by("student_id")
        .len()
    )
    assert per_student.get_column("len").median() in (8, 8.5, 9)


def test_class_scenarios_occur(run):
    out, _ = run
    classes = dated(out, "class_enrolments", "date_enrolled", "date_left")
    grades = table(out, "stored_grades")
    placed = classes.join(table(out, "sections"), on="section_id").join(
        dated(out, "terms", "last_day").select("term_id", "last_day"), on="term_id"
    )
    graded = grades.filter(pl.col("section_id").is_not_null()).select("student_id", "section_id")
    early = placed.filter(pl.col("date_left") < pl.col("last_day") - pl.duration(days=20))
    dropped = early.join(graded, on=["student_id", "section_id"], how="anti")
    assert dropped.height >= 1
    late = placed.filter(
        pl.col("term_id").str.ends_with("S1") & (pl.col("date_enrolled") > date(2025, 9, 2))
    )
    assert late.height >= 1
    withdrawn = grades.filter(pl.col("transcript_w") == "T")
    assert withdrawn.height >= 1 and (withdrawn.get_column("earned_credit") == "0.00").all()
    assert withdrawn.get_column("grade").cast(pl.Int32).is_not_null().all()
    plar = grades.filter(pl.col("plar_type").is_not_null())
    assert plar.height >= 1 and plar.get_column("section_id").null_count() == plar.height
    assert set(plar.get_column("plar_status")) == {"S"}
    other = grades.filter(pl.col("credit_type").is_not_null())
    assert other.height >= 1 and other.get_column("section_id").null_count() == other.height
    assert set(other.get_column("credit_type")) <= {"5", "15"}
    assert classes.filter(pl.col("iep") == "T").height >= 1
    assert classes.filter(pl.col("esl_eld") == "T").height >= 1
    independent = classes.filter(pl.col("is_independent_study") == "T")
    assert independent.height >= 1 and independent.get_column("work_units").null_count() == 0


def test_stored_grades_make_a_transcript(run):
    out, _ = run
    grades = dated(out, "stored_grades", "credit_date")
    assert grades.get_column("grade_id").is_unique().all()
    sections = set(table(out, "sections").get_column("section_id"))
    assert set(grades.get_column("section_id").drop_nulls()) <= sections
    this_year = grades.filter(pl.col("section_id").is_not_null() & (pl.col("transcript_w") == "F"))
    # Semester 1 and the continued classes end in January; semester 2, the year and Q4 on
    # the last school day.
    assert set(this_year.get_column("credit_date")) == {date(2026, 1, 30), date(2026, 6, 26)}
    marks = grades.filter(pl.col("grade").str.contains(r"^\d+$")).with_columns(
        pl.col("grade").cast(pl.Int32)
    )
    passed = marks.filter((pl.col("grade") >= 50) & (pl.col("transcript_w") == "F"))
    assert (passed.get_column("earned_credit") == passed.get_column("potential_credit")).all()
    failed = marks.filter(pl.col("grade") < 50)
    assert failed.height >= 1 and (failed.get_column("earned_credit") == "0.00").all()
    history = grades.filter(pl.col("credit_date") < date(2025, 7, 1))
    assert history.height > this_year.height
    earned = history.group_by("student_id").agg(pl.col("earned_credit").cast(pl.Float64).sum())
    assert earned.get_column("earned_credit").max() >= 20  # grade 12s bring three years
    assert grades.get_column("bsid_completed_at").null_count() < grades.height / 2


def test_programs_sal_expulsion_and_special_education(run):
    out, _ = run
    programs = table(out, "programs")
    enrolments = table(out, "program_enrolments").join(programs, on="program_id")
    assert enrolments.filter(pl.col("is_sal") == "T").height >= 1
    assert enrolments.filter(pl.col("is_sal") == "T").get_column("sal_type").null_count() == 0
    assert enrolments.filter(pl.col("is_expulsion") == "T").height >= 2
    with_iep = set(enrolments.filter(pl.col("iep") == "T").get_column("student_id"))
    in_class = table(out, "class_enrolments").filter(pl.col("iep") == "T")
    assert set(in_class.get_column("student_id")) <= with_iep


def test_secondary_entry_dates(run):
    out, _ = run
    students = dated(out, "students", "secondary_entry_date")
    assert students.get_column("secondary_entry_date").null_count() < students.height / 10
    grade_nine = dated(out, "school_enrolments", "entry_date").filter(
        (pl.col("grade_level") == "9") & (pl.col("entry_code") != "RS")
    )
    joined = grade_nine.join(students, on="student_id").filter(
        pl.col("entry_date") == pl.col("secondary_entry_date")
    )
    assert joined.height >= grade_nine.height / 2


def test_class_extracts_hold_what_the_previous_submission_reported(run):
    out, summary = run
    oens = table(out, "students").select(
        pl.col("oen").str.replace_all("-", "").alias("oen"), "student_id"
    )
    sections = table(out, "sections").select("section_id", "class_code")
    classes = dated(out, "class_enrolments", "date_enrolled", "date_left")
    data = classes.join(sections, on="section_id").join(oens, on="student_id")
    for kind in PERIOD_KINDS:
        held = extract(out, summary, kind, "0004")
        listed = extract(out, summary, kind, "0001")
        segments = extract(out, summary, kind, "0002")
        for bsid in summary.bsids:
            rows = held[bsid]
            key = ["oen", "class_code", "ministry_dfnd_crs", "local_dev_crs"]
            assert rows.select(key).is_duplicated().sum() == 0
            codes = set(listed[bsid].get_column("class_code"))
            assert set(rows.get_column("class_code")) <= codes
            assert set(segments[bsid].get_column("class_code")) == codes
    for bsid, rows in extract(out, summary, "mar", "0004").items():  # reported with the student
        students = set(extract(out, summary, "mar")[bsid].get_column("oen"))
        assert set(rows.get_column("oen")) <= students
    october = pl.concat(extract(out, summary, "oct", "0004").values())
    assert october.height >= 1 and october.get_column("course_continued_flag").all()
    assert october.get_column("course_start_date").max() < date(2025, 7, 1)
    march = pl.concat(extract(out, summary, "mar", "0004").values())
    found = march.join(data, on=["oen", "class_code"], how="anti")
    assert found.height >= 2  # the class enrolments since deleted from the SIS
    vanished = found.select("oen", "class_code")
    june = pl.concat(extract(out, summary, "jun", "0004").values())
    closed = june.join(vanished, on=["oen", "class_code"])
    assert closed.height == vanished.height
    assert set(closed.get_column("withdrawal_type")) == {"W"}
    # Closed out by March (deleted after October) or, a continued class, by October.
    assert set(closed.get_column("withdrawal_date")) == {date(2025, 7, 1), date(2025, 11, 1)}
    assert march.get_column("final_mark").null_count() == march.height  # none in October
    marked = june.filter(pl.col("final_mark").is_not_null() & pl.col("course_complete_flag"))
    assert marked.height >= 1 and (marked.get_column("course_end_date") == date(2026, 1, 30)).all()
    for frame in (march, june):
        assert (frame.get_column("other_course_info_credit_recovery") == "1").any()
        assert (frame.get_column("other_course_info_ministry_content") == "2").any()
    assert june.height > march.height


def test_one_class_changed_since_each_submission(run):
    """March holds the first class of October's list before it moved, June a second-semester
    class before it moved in April."""
    out, summary = run
    rooms = (
        table(out, "sections")
        .join(table(out, "schools").select("school_id", "bsid"), on="school_id")
        .group_by("bsid", "class_code")
        .agg(pl.col("classroom_type").fill_null("1").cast(pl.Int32).max().alias("room"))
    )
    for kind in ("mar", "jun"):
        held = pl.concat(
            frame.with_columns(pl.lit(bsid).alias("bsid"))
            for bsid, frame in extract(out, summary, kind, "0001").items()
        ).join(rooms, on=["bsid", "class_code"])
        moved = held.filter(pl.col("classroom_type") != pl.col("room").cast(pl.String))
        assert moved.height == 1, kind
        if kind == "jun":
            assert moved.get_column("class_start_date")[0] == date(2026, 2, 2)


def _class_facts(out: Path) -> pl.DataFrame:
    """Class enrolments with their section, term, course and stored grade (if any)."""
    sections = table(out, "sections").select(
        "section_id", "course_number", "term_id", "class_code", "class_type", "credit_recovery"
    )
    terms = dated(out, "terms", "first_day", "last_day").select(
        "term_id", "first_day", "last_day", "course_sem_type"
    )
    grades = dated(out, "stored_grades", "credit_date").select(
        "student_id", "section_id", "grade", "credit_date", "transcript_w"
    )
    return (
        dated(out, "class_enrolments", "date_enrolled", "date_left")
        .join(sections, on="section_id")
        .join(terms, on="term_id")
        .join(grades, on=["student_id", "section_id"], how="left")
    )


def test_drops_later_in_each_semester_and_esl_left_in_october(run):
    out, _ = run
    facts = _class_facts(out)
    dropped = facts.filter(
        pl.col("grade").is_null() & (pl.col("date_left") < pl.col("last_day"))
    ).with_columns(pl.col("date_enrolled").dt.month().alias("from"))
    first = dropped.filter(
        pl.col("term_id").str.ends_with("-S1")
        & (pl.col("from") == 9)
        & pl.col("date_left").is_between(date(2025, 11, 3), date(2026, 1, 23))
    )
    second = dropped.filter(
        pl.col("term_id").str.ends_with("-S2")
        & (pl.col("from") == 2)
        & pl.col("date_left").is_between(date(2026, 4, 1), date(2026, 6, 12))
    )
    assert first.height >= 1 and second.height >= 1
    # No full disclosure below grade 11: these are grade 9-10 or ESL courses.
    number = pl.col("course_number")
    lower = number.str.slice(3, 1).is_in(["1", "2"]) | number.str.starts_with("ESL")
    assert pl.concat([first, second]).select(lower.all()).item()
    # ESL and credit-recovery classes left in October keep their mark with full disclosure.
    left = facts.filter(
        (pl.col("transcript_w") == "T")
        & pl.col("date_left").is_between(date(2025, 10, 1), date(2025, 10, 31))
    )
    assert left.height >= 1
    esl_cr = pl.col("course_number").str.starts_with("ESL") | (pl.col("class_type") == "RCR")
    assert left.select(esl_cr.all()).item()
    assert left.get_column("credit_date").is_between(date(2025, 9, 2), date(2025, 10, 31)).all()


def test_semester_two_and_year_classes_get_final_marks(run):
    out, _ = run
    facts = _class_facts(out)
    stayed = facts.filter(
        pl.col("date_left") > pl.col("last_day"),
        pl.col("term_id").str.ends_with("-S2") | pl.col("term_id").str.ends_with("-Y"),
        ~pl.col("course_number").str.starts_with("STUDY"),
    )
    assert stayed.height >= 1
    assert stayed.get_column("grade").null_count() == 0
    assert set(stayed.get_column("credit_date")) == {date(2026, 6, 26)}


def test_q4_credit_recovery_retakes_a_failed_semester_one_course(run):
    out, _ = run
    facts = _class_facts(out)
    q4 = facts.filter(pl.col("course_sem_type") == "3")
    assert q4.height >= 1
    assert (q4.get_column("credit_recovery") == "T").all()
    assert (q4.get_column("class_type") == "RCR").all()
    assert (q4.get_column("date_enrolled") == q4.get_column("first_day")).all()
    assert q4.get_column("first_day").min() >= date(2026, 4, 1)
    assert set(q4.get_column("credit_date")) == {date(2026, 6, 26)}
    failed = facts.filter(
        pl.col("term_id").str.ends_with("-S1") & (pl.col("grade").cast(pl.Int32, strict=False) < 50)
    ).select("student_id", "course_number")
    assert q4.join(failed, on=["student_id", "course_number"], how="anti").height == 0
    # A school's credit-recovery sections share a classroom: one class, several courses.
    sections = table(out, "sections").join(
        table(out, "terms").select("term_id", "course_sem_type"), on="term_id"
    )
    rooms = sections.filter(pl.col("course_sem_type") == "3").group_by("class_code").len()
    assert rooms.get_column("len").max() >= 2


def test_credits_outside_classes_fall_in_every_period(run):
    out, _ = run
    grades = dated(out, "stored_grades", "credit_date")
    periods = [
        (date(2025, 7, 1), date(2025, 10, 31)),
        (date(2025, 11, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
    ]
    for column in ("plar_type", "credit_type"):
        credits = grades.filter(pl.col(column).is_not_null())
        for start, end in periods:
            assert credits.filter(pl.col("credit_date").is_between(start, end)).height >= 1


def test_every_submission_shows_every_class_scenario(run, tmp_path):
    """Generated from the synthetic data, each period's files (all BSIDs together) send
    new and changed classes, class enrolments added and updated, dropped (D) and withdrawn
    (W, close-outs included) ones, other course info, PLAR and other credits."""
    out, summary = run
    checks = {
        "CLASS ADD": "//CLASS[ACTION='ADD']",
        "CLASS UPDATE": "//CLASS[ACTION='UPDATE']",
        "SCE ADD": "//STUDENT_CLASS_ENROLMENT[ACTION='ADD']",
        "SCE UPDATE": "//STUDENT_CLASS_ENROLMENT[ACTION='UPDATE']",
        "D": "//STUDENT_CLASS_ENROLMENT[WITHDRAWAL_TYPE='D']",
        "W": "//STUDENT_CLASS_ENROLMENT[WITHDRAWAL_TYPE='W']",
        "OCI": "//STUDENT_CLASS_ENROLMENT/OTHER_COURSE_INFO",
        "PLAR": "//PLAR",
        "OTHER_CREDIT": "//OTHER_CREDIT",
    }
    optional = {"oct": {"CLASS UPDATE"}}  # October's 0001 holds only the continued classes
    for kind in PERIOD_KINDS:
        counts = dict.fromkeys(checks, 0)
        for bsid in summary.bsids:
            request = PlanRequest(out / "data", summary.pae_dirs[kind], kind, YEAR, (bsid,))
            result = generate(request, tmp_path / kind, created=datetime(2026, 7, 1, 9))
            assert result.output is not None, [str(f) for f in result.findings]
            tree = etree.parse(str(result.output))
            for name, path in checks.items():
                counts[name] += int(tree.xpath(f"count({path})"))
        missing = [n for n, c in counts.items() if c == 0 and n not in optional.get(kind, ())]
        assert missing == [], (kind, counts)


def test_program_extracts_hold_students_of_the_period_and_valid_codes(run):
    out, summary = run
    exceptionalities = set(code_table("exceptionality_type").codes) | {""}
    components = set(code_table("sal_component_type").codes)
    for kind in PERIOD_KINDS:
        for bsid, held in extract(out, summary, kind).items():
            oens = set(held.get_column("oen"))
            special = extract(out, summary, kind, "0005")[bsid]
            languages = extract(out, summary, kind, "0007")[bsid]
            sal = extract(out, summary, kind, "0027")[bsid]
            for frame in (special, languages, sal):
                assert set(frame.get_column("oen")) <= oens, (kind, bsid)
            assert set(special.get_column("exceptionality_type").fill_null("")) <= exceptionalities
            assert set(languages.get_column("program_type")) <= {"001", "004", "005", "027"}
            listed = sal.get_column("component_types").str.split(",").explode().drop_nulls()
            assert set(listed) <= components


def test_special_education_programs_have_one_main_exceptionality(run):
    out, _ = run
    programs = table(out, "programs").filter(pl.col("is_special_education") == "T")
    special = table(out, "program_enrolments").join(programs, on="program_id")
    identified = special.filter(
        pl.col("exceptionality").is_not_null() & (pl.col("exceptionality") != "NONIDE")
    )
    assert identified.height and (identified.get_column("main_exceptionality") == "T").all()
    non_identified = special.filter(pl.col("program_id") == "SE-NID")
    assert non_identified.height and (non_identified.get_column("main_exceptionality") == "F").all()


def test_share_helpers_keep_pool_order_floor_and_exact_rounding():
    rng = random.Random(5)
    picked = share_of(rng, 40, 0.25)
    assert len(picked) == 10 and picked == sorted(picked) and set(picked) <= set(range(40))
    assert len(share_of(rng, 40, 0.0, least=3)) == 3  # at least `least`
    assert share_of(rng, 2, 0.0, least=3) == [0, 1]  # but never more than there are
    assert share_of(rng, 0, 0.5) == []
    # a Fraction rounds as `size / n` does (half to even), where a float share may not
    assert round((1 / 150) * 2175) == 15 and round(2175 / 150) == 14
    assert len(share_of(rng, 2175, Fraction(1, 150))) == 14
    pool = list("abcdefgh")
    some = some_of(random.Random(9), pool, 0.5)
    assert some == [c for c in pool if c in some] and len(some) == 4
    taken = take_share(random.Random(9), pool, 0.5)
    assert taken == some and sorted(pool + taken) == list("abcdefgh")


def test_column_store_makes_a_typed_frame():
    store = ColumnStore({"n": pl.Int16, "name": pl.String, "day": pl.Date})
    store.add(3, "x", date(2025, 9, 2).toordinal())
    store.add(-1, None, date(2026, 6, 26).toordinal())
    assert len(store) == 2
    frame = store.frame()
    assert frame.schema == pl.Schema({"n": pl.Int16, "name": pl.String, "day": pl.Date})
    assert frame.rows() == [(3, "x", date(2025, 9, 2)), (-1, None, date(2026, 6, 26))]
    with pytest.raises(ValueError):
        store.add(1, "too few")


def test_calendar_terms_and_previous_submissions():
    cal = Calendar(2025)
    first, last = cal.term_bounds["S1"]
    assert date.fromordinal(first) == cal.first_day == date(2025, 9, 2)
    assert date.fromordinal(last) == cal.semester_one_last < cal.semester_two
    assert date.fromordinal(cal.term_bounds["Q4"][0]).weekday() == 0
    assert cal.submission_before("oct") == (date(2025, 4, 1), date(2025, 6, 30))
    assert cal.submission_before("mar") == (date(2025, 7, 1), cal.oct_count)
    assert cal.submission_before("jun") == (date(2025, 11, 1), cal.mar_count)
    assert all(day.weekday() < 5 for day, _ in cal.weekdays(cal.first_day, cal.last_day))


def test_board_extract_is_the_same_made_at_once_or_block_by_block(tmp_path, monkeypatch):
    board = make_board(3, seed=2)
    first, _, third = board.reporting_bsids
    frame = pl.DataFrame(  # rows of a BSID together, one reporting BSID without rows
        {
            "_bsid": [third, third, first],
            "oen": ["990000001", "990000002", "990000003"],
            "diploma_type": ["1", "4", "1"],
            "certificate_issued": [date(2026, 6, 20), date(2026, 3, 2), date(2025, 10, 1)],
        }
    )
    created = datetime(2026, 3, 1, 8, 0)
    (tmp_path / "whole").mkdir()
    (tmp_path / "blocks").mkdir()
    write_board_extract(tmp_path / "whole", "0026", "mar", Calendar(2025), board, frame, created)
    monkeypatch.setattr(extract_files, "WHOLE_FRAME_ROWS", 0)
    write_board_extract(tmp_path / "blocks", "0026", "mar", Calendar(2025), board, frame, created)
    name = extract_file_name("0026")
    whole = (tmp_path / "whole" / name).read_bytes()
    assert whole == (tmp_path / "blocks" / name).read_bytes()
    kinds = [line.split(",")[0] for line in whole.decode("cp1252").splitlines()]
    assert kinds == ['"H1"', '"H2"', '"DT"', '"H2"', '"H2"', '"DT"', '"DT"']
