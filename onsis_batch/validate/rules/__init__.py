"""Business-rule checks on the finished plan, one small function per finding code.

Importing the package registers every check (see `registry`); `run_checks` runs them.
"""

from onsis_batch.validate.rules import code_tables, courses, credits, dates, enrolment, identity
from onsis_batch.validate.rules.registry import CHECKS, run_checks

__all__ = [
    "CHECKS",
    "code_tables",
    "courses",
    "credits",
    "dates",
    "enrolment",
    "identity",
    "run_checks",
]
