"""The board's course catalogue and the course plans students follow through the year.

About sixty courses over grades 9-12: Ministry courses (course type M), locally developed
ones (L), a placeholder study hall (P, never reported), ESL levels, the literacy course OLC4O,
a dual-credit college course (ministry code `TCJ4T`, institution `HUMB`), and the codes only
stored grades use: the PLAR placeholder PLE99, conservatory music and co-op.

A plan is what one student takes in one school year, as (course, term) items: eight
one-credit courses, four a semester. The civics and careers half credits share one slot (on
alternating cycle days), and some grade 9 students take core French and music as a
full-year pair (also on alternating days). Plans are drawn from a few dozen templates per
grade, made once per run, so that a board-sized run does not shuffle courses per student.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import polars as pl

from onsis_batch.synth.calendar import SEM1, SEM2, YEAR


@dataclass(frozen=True, slots=True)
class Course:
    """One course of the catalogue."""

    number: str  # SIS course number
    code: str  # ministry or local code: the class-code stem and what OnSIS is told
    name: str
    grade: int  # 9-12; 0 for courses of no grade (ESL levels, study hall, PLAR)
    course_type: str = "M"  # M ministry, L local, P placeholder
    credit: str = "1.00"
    classroom: str | None = None  # classroom type of its sections when not a regular room
    institution: str | None = None  # dual-credit college
    compulsory: bool = False  # usually fills a compulsory diploma requirement
    written_code: bool = True  # courses.ministry_code filled (else read from the number)


def _courses() -> tuple[Course, ...]:
    science, gym, shop, lab, family, auto = "7", "5", "8", "4", "9", "10"
    rows = [
        # grade 9
        ("ENL1W", "English", 9, "M", True, None),
        ("MTH1W", "Mathematics", 9, "M", True, None),
        ("SNC1W", "Science", 9, "M", True, science),
        ("CGC1D", "Issues in Canadian Geography", 9, "M", True, None),
        ("FSF1D", "Core French", 9, "M", True, None),
        ("PPL1O", "Healthy Active Living Education", 9, "M", True, gym),
        ("AVI1O", "Visual Arts", 9, "M", True, None),
        ("AMU1O", "Music", 9, "M", True, None),
        ("TIJ1O", "Exploring Technologies", 9, "M", False, shop),
        ("BTT1O", "Information and Communication Technology in Business", 9, "M", False, lab),
        ("HFN1O", "Food and Nutrition", 9, "M", False, family),
        ("ENG1L", "English (locally developed)", 9, "L", True, None),
        ("MAT1L", "Mathematics (locally developed)", 9, "L", True, None),
        # grade 10
        ("ENG2D", "English", 10, "M", True, None),
        ("MPM2D", "Principles of Mathematics", 10, "M", True, None),
        ("SNC2D", "Science", 10, "M", True, science),
        ("CHC2D", "Canadian History since World War I", 10, "M", True, None),
        ("CHV2O", "Civics and Citizenship", 10, "M", True, None),
        ("GLC2O", "Career Studies", 10, "M", True, None),
        ("FSF2D", "Core French", 10, "M", False, None),
        ("PPL2O", "Healthy Active Living Education", 10, "M", False, gym),
        ("ASM2O", "Media Arts", 10, "M", False, lab),
        ("TDJ2O", "Technological Design", 10, "M", False, shop),
        ("TTJ2O", "Transportation Technology", 10, "M", False, auto),
        ("ICD2O", "Digital Technology and Innovations", 10, "M", False, lab),
        ("ENG2L", "English (locally developed)", 10, "L", True, None),
        ("MAT2L", "Mathematics (locally developed)", 10, "L", True, None),
        # grade 11
        ("ENG3U", "English", 11, "M", True, None),
        ("ENG3C", "English", 11, "M", True, None),
        ("MCR3U", "Functions", 11, "M", True, None),
        ("MBF3C", "Foundations for College Mathematics", 11, "M", True, None),
        ("SBI3U", "Biology", 11, "M", False, science),
        ("SCH3U", "Chemistry", 11, "M", False, science),
        ("SPH3U", "Physics", 11, "M", False, science),
        ("CHA3U", "American History", 11, "M", False, None),
        ("AVI3M", "Visual Arts", 11, "M", False, None),
        ("BAF3M", "Financial Accounting Fundamentals", 11, "M", False, lab),
        ("PPL3O", "Healthy Active Living Education", 11, "M", False, gym),
        ("ICS3U", "Introduction to Computer Science", 11, "M", False, lab),
        ("TGJ3M", "Communications Technology", 11, "M", False, lab),
        # grade 12
        ("ENG4U", "English", 12, "M", True, None),
        ("ENG4C", "English", 12, "M", True, None),
        ("MHF4U", "Advanced Functions", 12, "M", False, None),
        ("MCV4U", "Calculus and Vectors", 12, "M", False, None),
        ("MDM4U", "Mathematics of Data Management", 12, "M", False, None),
        ("MAP4C", "Foundations for College Mathematics", 12, "M", False, None),
        ("SBI4U", "Biology", 12, "M", False, science),
        ("SCH4U", "Chemistry", 12, "M", False, science),
        ("SPH4U", "Physics", 12, "M", False, science),
        ("CHY4U", "World History since the Fifteenth Century", 12, "M", False, None),
        ("AVI4M", "Visual Arts", 12, "M", False, None),
        ("BOH4M", "Business Leadership", 12, "M", False, None),
        ("HSB4U", "Challenge and Change in Society", 12, "M", False, None),
        ("ICS4U", "Computer Science", 12, "M", False, lab),
        ("IDC4U", "Interdisciplinary Studies", 12, "M", False, None),
        ("OLC4O", "Ontario Secondary School Literacy Course", 12, "M", True, None),
        ("AMU4M", "Music", 12, "M", False, None),
        # no grade
        ("ESLAO", "English as a Second Language, Level 1", 0, "M", True, None),
        ("ESLBO", "English as a Second Language, Level 2", 0, "M", True, None),
        ("ESLCO", "English as a Second Language, Level 3", 0, "M", True, None),
        ("ESLDO", "English as a Second Language, Level 4", 0, "M", True, None),
        ("LWSCU", "International Languages, Level 2 (Spanish)", 11, "M", False, None),
        ("PLE99", "Prior Learning Assessment and Recognition", 0, "M", False, None),
        ("DCO3O", "Cooperative Education", 0, "M", False, None),
        ("LNOAO", "Native Languages, Level 1", 9, "M", False, None),
        ("ELDAO", "English Literacy Development, Level 1", 0, "M", True, None),
    ]
    courses = []
    for index, (code, name, grade, kind, compulsory, room) in enumerate(rows):
        credit = "0.50" if code in ("CHV2O", "GLC2O") else "2.00" if code == "DCO3O" else "1.00"
        number = code if code in ("PLE99", "DCO3O") else f"{code}1"
        courses.append(
            Course(
                number=number,
                code=code,
                name=name,
                grade=grade,
                course_type=kind,
                credit=credit,
                classroom=room,
                compulsory=compulsory,
                written_code=index % 4 != 3,  # a quarter read the code from the number
            )
        )
    courses.append(
        Course(
            "TCJ4T-HUMB",
            "TCJ4T",
            "Construction Engineering (dual credit)",
            12,
            classroom=shop,
            institution="HUMB",
        )
    )
    courses.append(Course("STUDYHALL", "STUDY", "Study Hall", 0, "P", "0.00", classroom="3"))
    return tuple(courses)


COURSES = _courses()
INDEX = {c.code: i for i, c in enumerate(COURSES)}

# Courses with a fixed part in plans.
# ESL levels 1-4 by year here, then ELD level 1 (taken instead of ESL level 1 by some)
ESL_LEVELS = tuple(INDEX[c] for c in ("ESLAO", "ESLBO", "ESLCO", "ESLDO", "ELDAO"))
ELD = INDEX["ELDAO"]
ENGLISH = frozenset(INDEX[c] for c in ("ENL1W", "ENG1L", "ENG2D", "ENG2L", "ENG3U", "ENG3C"))
OLC = INDEX["OLC4O"]
CONTINUED_COURSE = INDEX["MCV4U"]  # taught February to January at every school
STUDY_HALL = INDEX["STUDY"]
DUAL_CREDIT = INDEX["TCJ4T"]
PLAR = INDEX["PLE99"]
CHALLENGE = INDEX["LWSCU"]  # only ever earned by a PLAR challenge
CONSERVATORY = INDEX["AMU4M"]
COOP = INDEX["DCO3O"]
REACH_AHEAD = tuple(INDEX[c] for c in ("CGC1D", "AVI1O", "MTH1W"))  # grade 8 students' picks
ONLINE = frozenset(INDEX[c] for c in ("CHV2O", "GLC2O", "CHA3U", "BAF3M", "BOH4M", "HSB4U"))
INDEPENDENT = frozenset(INDEX[c] for c in ("MDM4U", "CHY4U", "IDC4U"))
SECOND_SEMESTER = frozenset(INDEX[c] for c in ("AVI3M", "AVI4M"))  # so they can be combined
COMBINED = (INDEX["AVI3M"], INDEX["AVI4M"])  # one AVI4M section joins an AVI3M class

# Cycle days a section meets on when its course shares a slot with another; every day else.
PAIRS = {
    SEM1: ((INDEX["CHV2O"], INDEX["GLC2O"]),),
    SEM2: ((INDEX["CHV2O"], INDEX["GLC2O"]),),
    YEAR: ((INDEX["FSF1D"], INDEX["AMU1O"]),),
}
PATTERN = {
    (course, term): day
    for term, pairs in PAIRS.items()
    for pair in pairs
    for course, day in zip(pair, "AB", strict=True)
}


def _codes(*codes: str) -> tuple[int, ...]:
    return tuple(INDEX[c] for c in codes)


ELECTIVES = {
    9: _codes("AVI1O", "AMU1O", "TIJ1O", "BTT1O", "HFN1O", "LNOAO"),
    10: _codes("FSF2D", "PPL2O", "ASM2O", "TDJ2O", "TTJ2O", "ICD2O"),
    11: _codes("SBI3U", "SCH3U", "SPH3U", "CHA3U", "AVI3M", "BAF3M", "PPL3O", "ICS3U", "TGJ3M"),
    12: _codes(
        "MHF4U",
        "MCV4U",
        "MDM4U",
        "MAP4C",
        "SBI4U",
        "SCH4U",
        "SPH4U",
        "CHY4U",
        "AVI4M",
        "BOH4M",
        "HSB4U",
        "ICS4U",
        "IDC4U",
    ),
}
LOCAL = {INDEX["ENL1W"]: INDEX["ENG1L"], INDEX["MTH1W"]: INDEX["MAT1L"]}
LOCAL.update({INDEX["ENG2D"]: INDEX["ENG2L"], INDEX["MPM2D"]: INDEX["MAT2L"]})

Item = tuple[int, str]  # (course index, term)
Plan = tuple[Item, ...]
TEMPLATES_PER_GRADE = 64


def _slots(rng: random.Random, grade: int) -> tuple[list[tuple[int, ...]], list[Item]]:
    """One-slot course groups to spread over the semesters, and full-year items."""
    full_year: list[Item] = []
    groups: list[tuple[int, ...]]
    if grade == 9:
        core = _codes("ENL1W", "MTH1W", "SNC1W", "CGC1D", "PPL1O")
        if rng.random() < 0.3:  # French and music all year, on alternating days
            full_year = [(INDEX["FSF1D"], YEAR), (INDEX["AMU1O"], YEAR)]
            others = [c for c in ELECTIVES[9] if c != INDEX["AMU1O"]]
            courses = [*core, *rng.sample(others, 1)]
        else:
            courses = [*core, INDEX["FSF1D"], *rng.sample(ELECTIVES[9], 2)]
        groups = [(c,) for c in courses]
    elif grade == 10:
        core = _codes("ENG2D", "MPM2D", "SNC2D", "CHC2D")
        groups = [(c,) for c in (*core, *rng.sample(ELECTIVES[10], 3))]
        groups.append(_codes("CHV2O", "GLC2O"))
    elif grade == 11:
        english = INDEX["ENG3U" if rng.random() < 0.7 else "ENG3C"]
        math = INDEX["MCR3U" if rng.random() < 0.65 else "MBF3C"]
        groups = [(c,) for c in (english, math, *rng.sample(ELECTIVES[11], 6))]
    else:
        english = INDEX["ENG4U" if rng.random() < 0.7 else "ENG4C"]
        electives = rng.sample(ELECTIVES[12], 7)
        if rng.random() < 0.05:
            electives[-1] = DUAL_CREDIT
        groups = [(c,) for c in (english, *electives)]
    if grade <= 10 and rng.random() < 0.06:  # the locally developed pathway
        groups = [tuple(LOCAL.get(c, c) for c in group) for group in groups]
    return groups, full_year


def _template(rng: random.Random, grade: int) -> Plan:
    groups, full_year = _slots(rng, grade)
    rng.shuffle(groups)
    groups.sort(key=lambda g: g[0] in SECOND_SEMESTER)  # stable: the rest stay shuffled
    half = len(groups) // 2
    items = [(c, SEM1) for g in groups[:half] for c in g]
    items += [(c, SEM2) for g in groups[half:] for c in g]
    if grade == 12 and rng.random() < 0.15:  # a spare in the second semester
        last = max(i for i, (c, t) in enumerate(items) if t == SEM2 and c not in SECOND_SEMESTER)
        items[last] = (STUDY_HALL, SEM2)
    return (*full_year, *items)


def plan_templates(seed: int) -> dict[int, tuple[Plan, ...]]:
    """TEMPLATES_PER_GRADE plans for each grade 9-12, the same for a seed."""
    rng = random.Random(f"onsis-synth-plans-{seed}")
    return {
        grade: tuple(_template(rng, grade) for _ in range(TEMPLATES_PER_GRADE))
        for grade in (9, 10, 11, 12)
    }


def elective_swap(rng: random.Random, grade: int, taken: set[int]) -> int | None:
    """An elective of `grade` the student does not take yet (for a timetable change)."""
    pool = ELECTIVES.get(grade, ())
    for _ in range(3):
        course = pool[int(rng.random() * len(pool))]
        if course not in taken and course not in SECOND_SEMESTER:
            return course
    return None


def courses_frame() -> pl.DataFrame:
    """The `courses` table, with `_course` (the catalogue index)."""
    return pl.DataFrame(
        {
            "course_number": [c.number for c in COURSES],
            "ministry_code": [c.code if c.written_code else None for c in COURSES],
            "course_type": [c.course_type for c in COURSES],
            "credit": [c.credit for c in COURSES],
            "institution": [c.institution for c in COURSES],
            "language": [None if i % 9 == 4 else "E" for i in range(len(COURSES))],
            "name": [c.name for c in COURSES],
            "language_program_type": [None] * len(COURSES),
            "_course": list(range(len(COURSES))),
        },
        schema_overrides={"_course": pl.Int32, "language_program_type": pl.String},
    )
