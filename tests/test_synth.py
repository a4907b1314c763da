"""The synthetic-data generator: contract-shaped, coherent, deterministic, PAE in step."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from onsis_batch.codes import code_table
from onsis_batch.contract import contract
from onsis_batch.pae import read_pae_folder
from onsis_batch.period import PERIOD_KINDS, default_period_code
from onsis_batch.sources import load_folder
from onsis_batch.synth import synthesize
from onsis_batch.synth.extract import FILE_NAME

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
    return out, synthesize(out, students=200, schools=2, seed=7)


def table(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "data" / f"{name}.csv", infer_schema=False)


def scenarios(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "scenarios.csv", infer_schema=False)


def extract(out: Path, summary, kind: str) -> dict[str, pl.DataFrame]:
    """0003 rows per BSID, read back with the project's PAE reader (which must not complain)."""
    code, description = default_period_code(kind, YEAR)
    pae = read_pae_folder(
        summary.pae_dirs[kind],
        school_year=YEAR,
        period_code=code,
        period_description=description,
        bsids=summary.bsids,
    )
    assert pae.findings == []
    return {bsid: pae.frames[("0003", bsid)] for bsid in summary.bsids}


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
    assert len(files) == tables + 3 + 1  # tables, one extract per period, scenarios
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
    assert summary.students == 200
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
    assert sum(summary.counts[name] for name in main) == 200


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


def test_one_extract_per_period_with_one_block_per_bsid(run):
    out, summary = run
    assert set(summary.pae_dirs) == set(PERIOD_KINDS)
    for kind in PERIOD_KINDS:
        code, _ = default_period_code(kind, YEAR)
        path = out / "pae" / code / FILE_NAME
        assert summary.pae_dirs[kind] == path.parent and path.is_file()
        lines = path.read_text(encoding="cp1252").splitlines()
        heads = [line.split(",")[1].strip('"') for line in lines if line.startswith('"H2"')]
        assert heads == list(summary.bsids)


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
