"""The student program segments: SPECIAL_EDUCATION, SECOND_LANGUAGE_PROGRAM and SALEP
(with COMPONENT), all under the reported students' STUDENT_SCHOOL_ENROLMENT."""

from __future__ import annotations

import polars as pl

from onsis_batch.findings import Finding
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.programs.salep import build_salep
from onsis_batch.segments.programs.second_language import build_second_languages
from onsis_batch.segments.programs.special_education import build_special_education


def build_programs(
    ctx: SegmentContext, built: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], list[Finding]]:
    """Program segments of the students the STUDENT builder reported."""
    special, found = build_special_education(ctx, built)
    languages, language_findings = build_second_languages(ctx, built)
    salep, salep_findings = build_salep(ctx, built)
    frames = {"SPECIAL_EDUCATION": special, "SECOND_LANGUAGE_PROGRAM": languages, **salep}
    return frames, found + language_findings + salep_findings
