"""Identifiers and addresses: OEN/MEN format (RUL009), an OEN on two students (RUL010),
postal code pattern (RUL011), one class code on two CLASS rows (RUL012)."""

from __future__ import annotations

import polars as pl

from onsis_batch.plan.model import Plan
from onsis_batch.validate.rules.frames import elements_of_type, sent
from onsis_batch.validate.rules.registry import rule
from onsis_batch.validate.xsd import PATTERNS

NO_OEN = "000000000"  # what a student without an OEN is sent as (STU001)
HIDDEN = "(personal data, not shown)"


def _not_matching(plan: Plan, *types: str) -> pl.DataFrame:
    hits = [pl.DataFrame(schema={"_id": pl.String, "segment": pl.String})]
    for segment, element in elements_of_type(plan, *types):
        name = element.name
        matches = pl.col(name).str.contains(f"^(?:{PATTERNS[element.type]})$")
        bad = sent(plan, segment, name).filter(pl.col(name).is_not_null() & ~matches)
        value = pl.lit(HIDDEN) if element.personal else pl.col(name)
        hits.append(bad.select("_id", segment=pl.lit(segment), element=pl.lit(name), value=value))
    return pl.concat(hits, how="diagonal")


@rule("RUL009")
def identifier_format(plan: Plan) -> pl.DataFrame:
    """OENs and MENs that are not nine digits."""
    return _not_matching(plan, "oen", "men")


@rule("RUL010")
def repeated_oen(plan: Plan) -> pl.DataFrame:
    """OENs sent for more than one student."""
    oens = sent(plan, "STUDENT", "OEN").filter(pl.col("OEN") != NO_OEN)
    repeated = oens.group_by("OEN").agg(count=pl.len()).filter(pl.col("count") > 1)
    return repeated.select(_id=pl.col("OEN"), count=pl.col("count").cast(pl.String))


@rule("RUL011")
def postal_code_pattern(plan: Plan) -> pl.DataFrame:
    """Postal codes that do not match the Canadian pattern."""
    return _not_matching(plan, "postal_code")


@rule("RUL012")
def class_code_repeated(plan: Plan) -> pl.DataFrame:
    """Class codes sent for more than one class once spaces and case are ignored."""
    # class codes compare without spaces and regardless of case, as OnSIS stores them
    codes = sent(plan, "CLASS", "CLASS_CODE").with_columns(
        code=pl.col("CLASS_CODE").str.replace_all(" ", "").str.to_uppercase()
    )
    repeated = codes.group_by("code").agg(
        count=pl.len(), rows=pl.col("CLASS_CODE").sort().str.join(", ")
    )
    return repeated.filter(pl.col("count") > 1).select(
        _id=pl.col("code"), count=pl.col("count").cast(pl.String), codes=pl.col("rows")
    )
