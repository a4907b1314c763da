"""Segment builders: from school data and PAE frames to the plan.

Each builder selects records, derives element values with polars expressions and decides
ACTION against the PAE. `build_plan` runs them in dependency order (a builder may read the
frames of the builders before it) and enforces the rules every segment shares: a child of
an ADD parent is an ADD, and every child row hangs under a row of its parent.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.plan.model import Plan
from onsis_batch.segments.classes.class_rows import build_classes
from onsis_batch.segments.classes.enrolment import build_class_enrolments
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.build import build_credentials
from onsis_batch.segments.credits.build import build_credits
from onsis_batch.segments.educators.assignments import build_educators
from onsis_batch.segments.programs.build import build_programs
from onsis_batch.segments.students.build import build_student_segments
from onsis_batch.specs import load_specs

Frames = dict[str, pl.DataFrame]
Builder = Callable[[SegmentContext, Frames], tuple[Frames, list[Finding]]]

# In dependency order: class enrolments need the reported students, classes need the class
# enrolments (a class without students is not sent), credits hang under the students.
BUILDERS: tuple[Builder, ...] = (
    build_student_segments,
    build_class_enrolments,
    build_classes,
    build_educators,  # class assignments name the classes, so after build_classes
    build_credits,
    build_programs,  # SPECIAL_EDUCATION, SECOND_LANGUAGE_PROGRAM, SALEP under the students
    build_credentials,  # DIPLOMA, SHSM, SPCE, STUDENT_NON_ENROLMENT: after the enrolments are final
)


def _children_of_adds_are_adds(frames: Frames) -> Frames:
    """A segment under a parent sent as ADD can only be an ADD itself."""
    specs = load_specs()
    for name in _top_down(frames):
        parent = specs[name].parent
        if parent not in frames or "_action" not in frames[parent].columns:
            continue
        added = frames[parent].filter(pl.col("_action") == "ADD").get_column("_id")
        under_add = pl.col("_parent").is_in(added.implode()) & (pl.col("_action") != "ADD")
        frames[name] = frames[name].with_columns(
            pl.when(under_add).then(pl.lit("ADD")).otherwise(pl.col("_action")).alias("_action"),
            pl.when(under_add)
            .then(pl.lit("PARENT-ADD"))
            .otherwise(pl.col("_reason"))
            .alias("_reason"),
        )
    return frames


def _top_down(frames: Frames) -> list[str]:
    """Segment names, parents before children."""
    specs = load_specs()

    def depth(name: str) -> int:
        parent = specs[name].parent
        return 0 if parent not in specs else 1 + depth(parent)

    return sorted(frames, key=lambda name: (depth(name), name))


def build_plan(ctx: SegmentContext) -> tuple[Plan, list[Finding]]:
    """The plan of one batch file, and the findings met while building it."""
    frames: Frames = {}
    found: list[Finding] = []
    for builder in BUILDERS:
        built, findings = builder(ctx, dict(frames))
        frames.update(built)
        found += findings
    return Plan(period=ctx.period, segments=_children_of_adds_are_adds(frames)), found
