"""Marks: the codes besides 0-100 and how final marks are drawn, for this year's classes
(one at a time) and earlier years' transcripts (all at once), from pools made once per
seed so that a board-sized run does not call the Gaussian per class."""

from __future__ import annotations

import random
from dataclasses import dataclass

import polars as pl

from onsis_batch.synth.catalogue import COURSES

NO_MARK, INCOMPLETE, ALTERNATIVE = -99, -1, -2  # mark codes besides 0-100
P_LETTER = 0.002  # each of I and ALT, among final marks
_SENIOR = frozenset(i for i, c in enumerate(COURSES) if c.grade >= 11)  # I only from grade 11


@dataclass(frozen=True)
class MarkPools:
    """Marks to draw from: final marks (mean 73, about 5% under 50), marks at a withdrawal
    and failing marks."""

    finals: list[int]
    at_withdrawal: list[int]
    failing: list[int]

    @classmethod
    def for_seed(cls, seed: int) -> MarkPools:
        """The pools of a run, the same for a seed."""
        rng = random.Random(f"onsis-synth-marks-{seed}")
        finals = [max(12, min(100, round(rng.gauss(73, 14)))) for _ in range(2000)]
        withdrawn = [int(22 + rng.random() * 41) for _ in range(500)]
        failing = [int(28 + rng.random() * 22) for _ in range(200)]
        return cls(finals, withdrawn, failing)

    def final(self, rng: random.Random, course: int) -> int:
        """One final mark code: now and then I (grade 11-12 courses) or ALT."""
        roll = rng.random()
        if roll < P_LETTER and course in _SENIOR:
            return INCOMPLETE
        if roll < 2 * P_LETTER:
            return ALTERNATIVE
        return self.finals[int(rng.random() * len(self.finals))]

    def finals_expr(self, rng: random.Random, count: int) -> pl.Expr:
        """`count` final mark codes as a column over `_course`, by the rule of `final`
        (the marks drawn first, then the rolls)."""
        finals, size = self.finals, len(self.finals)
        marks = [finals[int(rng.random() * size)] for _ in range(count)]
        roll = pl.lit(pl.Series([rng.random() for _ in range(count)], dtype=pl.Float64))
        senior = pl.col("_course").is_in(sorted(_SENIOR))
        return (
            pl.when(roll < P_LETTER)
            .then(pl.when(senior).then(INCOMPLETE).otherwise(ALTERNATIVE))
            .when(roll < 2 * P_LETTER)
            .then(ALTERNATIVE)
            .otherwise(pl.lit(pl.Series(marks, dtype=pl.Int16)))
            .cast(pl.Int16)
            .alias("_mark")
        )
