"""CLASS_ASSIGNMENT and INSTRUCTIONAL_TM rows under the educator assignments sent.

Classes an assignment teaches (class codes compared case-insensitively, spaces removed;
sections sharing a code are one combined class):

  * the sections named on its assignments (assignment_classes) when there are any and
    teacher reporting is not excluded (CA-ADD-NAMED), else
  * the sections where the educator is the lead teacher (CA-ADD-LEAD) or has one of the
    co-teacher roles chosen for the run (CA-ADD-COTEACHER), on the count date, or on the
    class's last day when it ended before (D104).

A class is kept when it is of this school year, started by the count date, of a ministry
or local course, not a dual-credit class with an external educator (NE), has a student
(an enrolment not dropped on its first day) and overlaps the assignment; a class running on
the count date needs the assignment active that day, a class already ended needs it active
on the class's last day. No class assignment is sent for an assignment without the class
assignment flag (unless minimal), with a leave, or whose TEACHING_TYPE is N or N/A; in
March such a teacher keeps a class that starts and ends in the period if active on its
last day. DELETE (CA-DEL-NOT-TAUGHT) for a class PAE 0010 holds under the MEN and position
type of an UPDATE row that the assignment no longer teaches.

INSTRUCTIONAL_TM: the time types of the assignment's members, for an assignment with no
end date and a TEACHING_TYPE other than T and N/A, never when teacher reporting is
excluded; ADD (IT-ADD) when PAE 0009 does not hold the type, DELETE (IT-DEL) for a held
type the assignment no longer has.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from onsis_batch.segments.classes.class_rows import REPORTED_COURSE_TYPES
from onsis_batch.segments.context import SegmentContext, class_code
from onsis_batch.segments.educators.pending import held_classes
from onsis_batch.segments.engine import ADD, DELETE, UPDATE, Decision, Outcome, decide, finish

NOT_TEACHING = ("N", "N/A")
NO_TIME = ("T", "N/A")
LINK = ["educator_id", "class_code"]
# The rule id of a class added through the educator's role in it.
ADD_BY_ROLE = {"LEAD": "CA-ADD-LEAD", "COTEACHER": "CA-ADD-COTEACHER"}
CLASS_DECISION = Decision(
    key=("_parent", "class_code"),
    new=Outcome(ADD, pl.col("add_reason")),  # CA-ADD-NAMED or ADD_BY_ROLE
    gone=Outcome(DELETE, "CA-DEL-NOT-TAUGHT"),
)
TIME_DECISION = Decision(
    key=("_parent", "type"), new=Outcome(ADD, "IT-ADD"), gone=Outcome(DELETE, "IT-DEL")
)


def _classes(ctx: SegmentContext) -> pl.DataFrame:
    """Sections of the BSID's schools with their class code and class facts (once a run)."""
    frame: pl.DataFrame = ctx.cached("educator_classes", lambda: _class_facts(ctx))
    return frame


def _class_facts(ctx: SegmentContext) -> pl.DataFrame:
    period = ctx.period
    courses = ctx.table("courses").unique("course_number", keep="first", maintain_order=True)
    terms = ctx.table("terms").unique("term_id", keep="first", maintain_order=True)
    sections = (
        ctx.table("sections")
        .filter(pl.col("school_id").is_in(list(period.school_ids)))
        .join(courses.select("course_number", "course_type"), on="course_number", how="left")
        .join(terms.select("term_id", "first_day", "last_day"), on="term_id", how="left")
        .with_columns(class_code(pl.col("class_code")).alias("class_code"))
    )
    stayed = (
        ctx.table("class_enrolments")
        .filter(pl.col("date_left").is_null() | (pl.col("date_left") > pl.col("date_enrolled")))
        .select("section_id")
        .unique()
        .with_columns(pl.lit(True).alias("_students"))
    )
    sections = sections.join(stayed, on="section_id", how="left")
    year_end = date(period.first_year + 1, 6, 30)
    facts = sections.group_by("class_code").agg(
        pl.col("first_day").min().alias("first"),
        pl.col("last_day").max().alias("last"),
        (pl.col("class_type").sort_by("section_id").drop_nulls().first() == "NE")
        .fill_null(False)
        .alias("external"),
        pl.col("course_type")
        .str.to_uppercase()
        .is_in(REPORTED_COURSE_TYPES)
        .any()
        .alias("reported"),
        pl.col("_students").fill_null(False).any().alias("has_students"),
    )
    facts = facts.with_columns(
        (
            pl.col("reported")
            & pl.col("has_students")
            & (pl.col("first") <= period.count_date)
            & (pl.col("last") >= period.year_start)
            & (pl.col("first") <= year_end)
        ).alias("eligible")
    )
    return sections.select("section_id", "class_code").join(facts, on="class_code")


def _role_on(day: pl.Expr) -> pl.Expr:
    start, end = pl.col("role_start"), pl.col("role_end")
    return (start.is_null() | (start <= day)) & (end.is_null() | (end >= day))


def teaching_links(ctx: SegmentContext) -> pl.DataFrame:
    """Per educator and class of the BSID: the class facts, `role` (LEAD, COTEACHER or
    null when no counted role on the day that matters) and the section ids."""
    classes = _classes(ctx)
    roles = [r.casefold() for r in ctx.period.co_teacher_roles]
    as_of = pl.min_horizontal(pl.lit(ctx.period.count_date), pl.col("last"))
    teachers = ctx.table("section_teachers").select(
        "section_id",
        "educator_id",
        "is_lead",
        pl.col("role").str.strip_chars().str.to_lowercase().alias("_role"),
        pl.col("start_date").alias("role_start"),
        pl.col("end_date").alias("role_end"),
    )
    linked = teachers.join(classes, on="section_id").with_columns(
        pl.when(pl.col("is_lead").fill_null(False) & _role_on(as_of))
        .then(pl.lit("LEAD"))
        .when(pl.col("_role").is_in(roles) & _role_on(as_of))
        .then(pl.lit("COTEACHER"))
        .alias("role")
    )
    facts = [c for c in classes.columns if c not in ("section_id", "class_code")]
    return (
        linked.group_by(LINK)
        .agg(
            pl.col("role").drop_nulls().sort(descending=True).first(),  # LEAD over COTEACHER
            *[pl.col(c).first() for c in facts],
        )
        .sort(LINK)
    )


def _named(ctx: SegmentContext) -> pl.DataFrame:
    """Classes named on assignments: assignment_id, class_code and the class facts."""
    classes = _classes(ctx)
    return (
        ctx.table("assignment_classes")
        .select("assignment_id", "section_id")
        .join(classes, on="section_id")
        .drop("section_id")
        .unique(["assignment_id", "class_code"], keep="first", maintain_order=True)
    )


def _active_on(day: pl.Expr) -> pl.Expr:
    """The assignment (start, end) is active on `day`."""
    return (pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") >= day))


def _fits_assignment(count: date) -> pl.Expr:
    """The class fits the assignment's dates (see the module docstring)."""
    overlaps = (pl.col("end").is_null() | (pl.col("first") <= pl.col("end"))) & (
        pl.col("last") >= pl.col("start")
    )
    running = (pl.col("first") <= count) & (pl.col("last") >= count)
    return overlaps & pl.when(running).then(_active_on(pl.lit(count))).otherwise(
        _active_on(pl.col("last"))
    )


def _inside_period(ctx: SegmentContext) -> pl.Expr:
    p, e = ctx.period.start, ctx.period.count_date
    return (pl.col("first") >= p) & (pl.col("last") <= e) & _active_on(pl.col("last"))


def short_class_members(ctx: SegmentContext, rows: pl.DataFrame, links: pl.DataFrame) -> pl.Series:
    """Assignment ids whose educator teaches (named or by role) a class that starts and ends
    in the period, and that are active on its last day (rule SEA-ADD-SHORT)."""
    people = rows.select("assignment_id", "educator_id", "start", "end")
    by_role = people.join(links.filter(pl.col("role").is_not_null()), on="educator_id")
    named = people.join(_named(ctx), on="assignment_id")
    both = pl.concat([by_role.select(named.columns), named], how="vertical_relaxed")
    hits = both.filter(pl.col("eligible") & ~pl.col("external") & _inside_period(ctx))
    return hits.get_column("assignment_id").unique().sort()


def _wanted_classes(ctx: SegmentContext, sea: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """(_parent, class_code, _reason) of the classes each sent assignment teaches."""
    parents = sea.select(
        pl.col("_id").alias("_parent"), "educator_id", "members", "start", "end", "minimal"
    )
    named = (
        parents.filter(~pl.col("minimal"))
        .explode("members")
        .join(_named(ctx), left_on="members", right_on="assignment_id")
        .drop("members")
        .unique(["_parent", "class_code"], keep="first", maintain_order=True)
        .with_columns(pl.lit("CA-ADD-NAMED").alias("_reason"))
    )
    has_named = named.get_column("_parent").unique().implode()
    scheduled = (
        parents.filter(~pl.col("_parent").is_in(has_named))
        .drop("members")
        .join(links.filter(pl.col("role").is_not_null()), on="educator_id")
        .with_columns(pl.col("role").replace_strict(ADD_BY_ROLE).alias("_reason"))
    )
    columns = [
        "_parent",
        "class_code",
        "_reason",
        "start",
        "end",
        "first",
        "last",
        "eligible",
        "external",
    ]
    frame = pl.concat([named.select(columns), scheduled.select(columns)])
    return frame.filter(
        pl.col("eligible") & ~pl.col("external") & _fits_assignment(ctx.period.count_date)
    )


def class_assignment_rows(
    ctx: SegmentContext, sea: pl.DataFrame, links: pl.DataFrame
) -> pl.DataFrame:
    """CLASS_ASSIGNMENT rows: ADD for a class taught and not held, DELETE for a class held
    and no longer taught."""
    allowed = sea.filter(
        (pl.col("minimal") | pl.col("class_flag").fill_null(False)) & pl.col("leave").is_null()
    )
    not_teaching = pl.col("TEACHING_TYPE").is_in(NOT_TEACHING).fill_null(False)
    wanted = _wanted_classes(ctx, allowed, links).join(
        allowed.select(pl.col("_id").alias("_parent"), not_teaching.alias("_not_teaching")),
        on="_parent",
    )
    march = ctx.period.kind == "mar"
    wanted = wanted.filter(~pl.col("_not_teaching") | (pl.lit(march) & _inside_period(ctx)))
    teaching = allowed.filter(~not_teaching)
    updates = teaching.filter(pl.col("_action") == UPDATE).select(
        pl.col("_id").alias("_parent"), "MEN", "POSITION_TYPE"
    )
    external = links.filter(pl.col("external")).get_column("class_code").unique().implode()
    held = (
        updates.join(
            held_classes(ctx), left_on=["MEN", "POSITION_TYPE"], right_on=["men", "POSITION_TYPE"]
        )
        .filter(~pl.col("class_code").is_in(external))
        .select("_parent", "class_code")
    )
    key = CLASS_DECISION.key
    wanted = wanted.rename({"_reason": "add_reason"}).unique(key, keep="first", maintain_order=True)
    rows = decide(wanted, held.unique(key, keep="first", maintain_order=True), CLASS_DECISION)
    return _child_rows("CLASS_ASSIGNMENT", rows, "class_code", "CLASS_CODE")


def instructional_rows(ctx: SegmentContext, sea: pl.DataFrame) -> pl.DataFrame:
    """INSTRUCTIONAL_TM rows: ADD for a time type not held, DELETE for one held no more."""
    allowed = sea.filter(
        ~pl.col("minimal")
        & pl.col("ASSIGNMENT_END_DATE").is_null()
        & ~pl.col("TEACHING_TYPE").is_in(NO_TIME).fill_null(False)
    )
    times = ctx.table("instructional_times").select(
        "assignment_id", pl.col("time_type").alias("type")
    )
    wanted = (
        allowed.select(pl.col("_id").alias("_parent"), "members")
        .explode("members")
        .join(times, left_on="members", right_on="assignment_id")
        .select("_parent", "type")
        .unique(maintain_order=True)
    )
    held = (
        allowed.filter(pl.col("_action") == UPDATE)
        .select(pl.col("_id").alias("_parent"), pl.col("pae_times").alias("type"))
        .explode("type")
        .drop_nulls()
    )
    rows = decide(wanted, held, TIME_DECISION)
    return _child_rows("INSTRUCTIONAL_TM", rows, "type", "INSTRUCTIONAL_TM_TYPE")


def _child_rows(segment: str, rows: pl.DataFrame, value: str, element: str) -> pl.DataFrame:
    """Plan rows of a child of SCHOOL_EDUCATOR_ASSIGNMENT keyed by one `value` column."""
    rows = rows.with_columns(
        pl.format("{}|{}", "_parent", value).alias("_id"), pl.col(value).alias(element)
    )
    return finish(segment, rows, order_by=("_parent", value))
