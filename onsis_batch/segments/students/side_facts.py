"""Per-student values computed from side tables: community hours and literacy status."""

from __future__ import annotations

import polars as pl

COMMUNITY_HOURS_CAP = 999.0

# Literacy status from the best result a student has. The rule book defers to a document
# we do not have (its "Appendix F"); docs/decisions.md records this reading of it.
_LITERACY_BY_TEST = {"OSSLT": "1", "TPCL": "2", "OLC": "6", "CCL": "6", "ADJ": "4", "NA": "3"}
_LITERACY_PRIORITY = {"1": 0, "2": 1, "6": 2, "4": 3, "3": 4}


def community_hours(hours: pl.DataFrame) -> pl.DataFrame:
    """student_id -> total hours, capped at 999 as OnSIS requires."""
    return hours.group_by("student_id").agg(
        pl.col("hours").sum().clip(upper_bound=COMMUNITY_HOURS_CAP).alias("community_hours")
    )


def literacy_status(results: pl.DataFrame) -> pl.DataFrame:
    """student_id -> literacy status code from successful results (or a waiver).

    A successful English test gives 1, French test 2, literacy course 6, adjudication 4,
    and a recorded waiver 3; when several apply the order above decides.
    """
    met = results.filter((pl.col("result") == "S") | (pl.col("test") == "NA")).with_columns(
        pl.col("test").replace_strict(_LITERACY_BY_TEST, default=None).alias("status")
    )
    ranked = met.with_columns(
        pl.col("status").replace_strict(_LITERACY_PRIORITY, default=99).alias("rank")
    )
    return (
        ranked.sort("student_id", "rank")
        .group_by("student_id", maintain_order=True)
        .agg(pl.col("status").first().alias("literacy_status"))
    )


def postal_code(column: str) -> pl.Expr:
    """Canadian postal code as `AnA nAn`; null when the value is not one."""
    compact = pl.col(column).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    valid = compact.str.contains(r"^[A-Z]\d[A-Z]\d[A-Z]\d$")
    spaced = compact.str.slice(0, 3) + pl.lit(" ") + compact.str.slice(3, 3)
    return pl.when(valid).then(spaced).otherwise(None)
