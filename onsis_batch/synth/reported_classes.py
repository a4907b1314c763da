"""What each earlier submission reported of the class enrolments, replayed on the
synthetic data to make the class extracts (see class_extracts).

Each period's extracts come from replaying the submission before it, in a simplified form of
the rule book (this module does not implement the rules, it only needs plausible,
consistent holdings):

* October's extracts stem from last year's June submission. Only classes still running into
  this year are kept: the February-to-January classes continued from last year, with their
  enrolments, reported then without an end date or a mark.
* March's hold what the October submission reported: the classes and class enrolments of
  students known to OnSIS that were enrolled on the October count date (semester 1 and
  full-year classes), plus the continued ones.
* June's hold what the March submission reported: those again (now with end dates, marks,
  withdrawals) and the classes and enrolments of semester 2 running on the March count date.

Class enrolments chosen to "vanish" were reported and then deleted from the SIS (they are
not in `class_enrolments.csv`), so the next submission must close them out: a class
continued from last year, deleted over the summer (October closes it out), a semester-1
class reported in October (March) and a semester-2 class reported in March (June). The
extracts after the close-out hold it closed: withdrawal W on the first day of the period
that closed it out.

Dropped classes are held with withdrawal D; so are ESL and credit-recovery classes left with
full disclosure (the rule book's D for ESL/ELD and credit recovery), other full-disclosure
withdrawals with W. A student is known to OnSIS as in extract 0003: with an OEN, and not
excluded once October has been submitted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import polars as pl

from onsis_batch.synth.calendar import CONTINUED, SEM1, SEM2, Calendar
from onsis_batch.synth.catalogue import COURSES, ESL_LEVELS
from onsis_batch.synth.class_items import DONE, WITHDRAWN
from onsis_batch.synth.marks import INCOMPLETE
from onsis_batch.synth.rand import some_of
from onsis_batch.synth.sections import RECOVERY, REGULAR


@dataclass(frozen=True)
class Submission:
    """The submission a period's extracts stem from."""

    start: date
    count: date
    known_excluded: bool  # excluded students still known (before October is submitted)
    marks: bool  # final marks are reported (not in October)
    only_continued: bool = False


def submissions(cal: Calendar) -> dict[str, Submission]:
    """PAE period -> the submission before it."""
    # Last June's submission; the continued enrolments it held were first reported in
    # March, from their start, so nothing before last February is cut off.
    continued_from = Calendar(cal.year - 1).semester_two
    _, june_count = cal.submission_before("oct")
    return {
        "oct": Submission(continued_from, june_count, True, True, only_continued=True),
        "mar": Submission(*cal.submission_before("mar"), False, False),
        "jun": Submission(*cal.submission_before("jun"), False, True),
    }


def vanishings(cal: Calendar) -> tuple[tuple[str, date, date], ...]:
    """(term, count date of the submission that last reported the class enrolment, first
    day of the period whose submission closes it out) of each kind of vanished enrolment:
    a continued class reported last June, a semester-1 class reported in October and a
    semester-2 class reported in March."""
    periods = [cal.submission_before(kind) for kind in ("oct", "mar", "jun")]
    periods.append(Calendar(cal.year + 1).submission_before("oct"))  # April to June, after March
    terms = (CONTINUED, SEM1, SEM2)
    return tuple((term, periods[i][1], periods[i + 1][0]) for i, term in enumerate(terms))


def choose_vanished(
    rng: random.Random, cal: Calendar, items: pl.DataFrame, students: pl.DataFrame
) -> list[pl.Series]:
    """About one in a thousand of the class enrolments of each `vanishings` term that the
    submission before was told of (at least one each), in classes of three or more when
    there are some, to delete from the SIS afterwards: `_gone` (the first day of the period
    whose submission closes each out) and `_vanished`."""
    sizes = items.group_by("section_id").agg(pl.len().alias("_size"))
    ministry = [i for i, c in enumerate(COURSES) if c.course_type == "M"]
    eligible = (
        items.select(
            "_item",
            "student_id",
            "section_id",
            "_term",
            "_event",
            "_kind",
            "_repeat",
            "_course",
            "date_enrolled",
            "date_left",
        )
        .join(students.select("student_id", "_oen", "_excluded"), on="student_id")
        .join(sizes, on="section_id")
        .filter(
            (pl.col("_event") == DONE)
            & (pl.col("_kind") == REGULAR)
            & ~pl.col("_repeat")
            & pl.col("_course").is_in(ministry)
            & pl.col("_oen").is_not_null()
            & ~pl.col("_excluded")
        )
    )
    items_of, days = [], []
    for term, count_date, closed_out in vanishings(cal):
        told = eligible.filter(
            (pl.col("_term") == term)
            & (pl.col("date_enrolled") <= count_date)
            & (pl.col("date_left") > count_date)
        )
        # Classes of three or more if there are any (a small run's continued classes may
        # all be smaller).
        crowded = told.filter(pl.col("_size") >= 3)
        candidates = (crowded if crowded.height else told).get_column("_item").sort().to_list()
        chosen = some_of(rng, candidates, Fraction(1, 1000))
        items_of += chosen
        days += [closed_out] * len(chosen)
    gone_on = pl.DataFrame(
        {"_item": items_of, "_gone": days}, schema={"_item": pl.Int32, "_gone": pl.Date}
    )
    gone = (
        items.select("_item")
        .join(gone_on, on="_item", how="left", maintain_order="left")
        .get_column("_gone")
    )
    return [gone, gone.is_not_null().alias("_vanished")]


def enrolment_base(
    items: pl.DataFrame, attributes: pl.DataFrame, students: pl.DataFrame
) -> pl.DataFrame:
    """Class enrolments of reportable courses for students with an OEN: just what deciding
    what was reported needs; the rest is joined by section when writing."""
    return (
        items.select(
            "_item",
            "student_id",
            "section_id",
            "date_enrolled",
            "date_left",
            "_event",
            "_mark",
            "_credit_date",
            "_repeat",
            "_term",
            "_gone",
            (pl.col("_kind") == RECOVERY).or_(pl.col("_course").is_in(ESL_LEVELS)).alias("_esl_cr"),
        )
        .join(attributes.select("section_id", "_last", "credit_value"), on="section_id")
        .join(students.select("student_id", "_oen", "_excluded"), on="student_id")
        .filter(pl.col("_oen").is_not_null())
        .drop("student_id")
    )


def reported(base: pl.DataFrame, sub: Submission, held: pl.DataFrame | None) -> pl.DataFrame:
    """The class enrolments `sub` reported (of `base`: `enrolment_base`), with the values it
    reported for them; `held` is what the submission before reported (_item and
    course_start_date), None for the first one replayed."""
    start, count = pl.lit(sub.start), pl.lit(sub.count)
    enrolled, left, last = pl.col("date_enrolled"), pl.col("date_left"), pl.col("_last")
    credit_date = pl.col("_credit_date")
    graded = credit_date.is_not_null() & (credit_date <= count)
    known = pl.lit(sub.known_excluded) | ~pl.col("_excluded")
    gone = (pl.col("_gone") <= start).fill_null(False)
    fresh = (
        known
        & ~gone
        & (enrolled <= count)
        & (left > start)
        & (enrolled != left)
        & ((left > count) | graded)
        & (pl.lit(not sub.only_continued) | (pl.col("_term") == CONTINUED))
    )
    frame = base
    if held is not None:
        frame = frame.join(held.select("_item", "course_start_date"), on="_item", how="left")
        chosen = fresh | pl.col("course_start_date").is_not_null()
    else:
        frame = frame.with_columns(pl.lit(None, pl.Date).alias("course_start_date"))
        chosen = fresh
    frame = frame.filter(chosen)
    end = (
        pl.when(gone)
        .then(pl.col("_gone"))
        .when(graded & (credit_date < left))
        .then(credit_date)
        .when((left <= count) & (left <= last))
        .then(left)
        .when(left <= count)
        .then(last)
        .when(last == count)
        .then(last)
    )
    frame = frame.with_columns(
        pl.coalesce("course_start_date", pl.max_horizontal(enrolled, start)).alias(
            "course_start_date"
        ),
        end.alias("course_end_date"),
        gone.alias("_closed"),
        graded.alias("_graded"),
    )
    return _outcome(frame, sub)


def _outcome(frame: pl.DataFrame, sub: Submission) -> pl.DataFrame:
    """The reported class enrolments with the withdrawal, final mark, earned credit and
    completion `sub` sent, from their dates and whether they were closed out or graded."""
    left, last = pl.col("date_left"), pl.col("_last")
    withdrawn = pl.col("_event") == WITHDRAWN
    mark = pl.col("_mark")
    ended = pl.col("course_end_date").is_not_null()
    gone, graded = pl.col("_closed"), pl.col("_graded")
    kind = (
        pl.when(gone)
        .then(pl.lit("W"))
        .when(graded & withdrawn)
        .then(pl.when(pl.col("_esl_cr")).then(pl.lit("D")).otherwise(pl.lit("W")))
        .when(ended & (left < last) & ~graded)
        .then(pl.lit("D"))
    )
    frame = frame.with_columns(kind.alias("withdrawal_type"))
    dropped = pl.col("withdrawal_type") == "D"
    complete = ended & graded & ~withdrawn & ~gone & (mark != INCOMPLETE)
    final = (
        pl.when(pl.lit(not sub.marks))
        .then(None)
        .when(gone | dropped)
        .then(0)
        .when(graded)
        .then(pl.when(mark >= 0).then(mark).otherwise(0))
        .when(ended)
        .then(0)
    )
    earned = (
        pl.when(gone | dropped)
        .then(0.0)
        .when(graded)
        .then(pl.when(withdrawn | (mark < 50)).then(0.0).otherwise(pl.col("credit_value")))
        .when(ended)
        .then(0.0)
    )
    return frame.select(
        "_item",
        "section_id",
        "_oen",
        "_repeat",
        "course_start_date",
        "course_end_date",
        "withdrawal_type",
        pl.when(pl.col("withdrawal_type") == "W")
        .then(pl.col("course_end_date"))
        .alias("withdrawal_date"),
        final.cast(pl.Int64).alias("final_mark"),
        earned.alias("earned_credit_value"),
        complete.alias("course_complete_flag"),
        (ended & ~complete).alias("course_incomplete_flag"),
    )
