"""Diploma requirements: which compulsory requirement each credit of a student fills.

`credit_allocation(ctx)` is what segment builders use (PLAR's COMPULSORY_CREDIT, the class
enrolment's COMPULSORY_COURSE_FLAG and COURSE_SBST_FLAG); the requirement tables live in
`requirements.yaml` beside this file.
"""

from onsis_batch.segments.credentials.requirements.allocation import (
    allocate,
    credit_allocation,
    unknown_requirements,
)
from onsis_batch.segments.credentials.requirements.items import course_codes, credit_items
from onsis_batch.segments.credentials.requirements.rules import (
    PLAR_CODES,
    cohort_of,
    requirement_rules,
)

__all__ = [
    "PLAR_CODES",
    "allocate",
    "cohort_of",
    "course_codes",
    "credit_allocation",
    "credit_items",
    "requirement_rules",
    "unknown_requirements",
]
