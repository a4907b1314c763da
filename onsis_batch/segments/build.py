"""Segment builders: from school data and PAE frames to the plan.

Each builder selects records, derives element values with polars expressions and states
its desired and pending rows; the engine (segments/engine.py) decides ACTION and shapes
the frame. `build_plan` runs the builders in dependency order (a builder may read the
frames of the builders before it), then applies the engine's rule every segment shares:
a child of an ADD parent is an ADD.
"""

from __future__ import annotations

from collections.abc import Callable

from onsis_batch.findings import Finding
from onsis_batch.plan.model import Plan
from onsis_batch.segments.classes.class_rows import build_classes
from onsis_batch.segments.classes.enrolment import build_class_enrolments
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.credentials.build import build_credentials
from onsis_batch.segments.credits.build import build_credits
from onsis_batch.segments.educators.assignments import build_educators
from onsis_batch.segments.engine import Frames, children_of_adds_are_adds
from onsis_batch.segments.not_sent import forget, not_sent
from onsis_batch.segments.programs.build import build_programs
from onsis_batch.segments.students.build import build_student_segments

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


def build_plan(ctx: SegmentContext) -> tuple[Plan, list[Finding]]:
    """The plan of one batch file (with the records it leaves out, and why), and the
    findings met while building it."""
    frames: Frames = {}
    found: list[Finding] = []
    forget(ctx)
    for builder in BUILDERS:
        built, findings = builder(ctx, dict(frames))
        frames.update(built)
        found += findings
    segments = children_of_adds_are_adds(frames)
    return Plan(ctx.period, segments, not_sent(ctx, segments)), found
