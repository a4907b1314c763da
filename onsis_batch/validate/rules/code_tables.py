"""Element values against the Ministry code table the segment spec names (RUL001)."""

from __future__ import annotations

import polars as pl

from onsis_batch.codes import code_table
from onsis_batch.plan.model import Plan
from onsis_batch.queries import IN_MEMORY
from onsis_batch.specs import ElementSpec
from onsis_batch.validate.rules.frames import sent_lazily, spec
from onsis_batch.validate.rules.registry import rule

HIDDEN = "(personal data, not shown)"


def _unknown(element: ElementSpec) -> pl.Expr:
    assert element.table is not None
    table = code_table(element.table)
    value = pl.col(element.name).cast(pl.String)
    if table.pattern is not None:
        known = value.str.contains(f"^(?:{table.pattern})$")
    else:
        known = value.is_in(list(table.codes))
    return (value.is_not_null() & ~known).fill_null(False)


def _coded(plan: Plan, name: str) -> list[ElementSpec]:
    year, private = plan.period.school_year, plan.period.private
    return [
        e
        for e in spec(name).applicable_elements(year, private)
        if e.table is not None and e.fixed is None
    ]


@rule("RUL001")
def unknown_codes(plan: Plan) -> pl.DataFrame:
    """Rows whose coded elements hold a value their code table lacks."""
    hits = []
    coded = {name: _coded(plan, name) for name in sorted(plan.segments)}
    coded = {name: elements for name, elements in coded.items() if elements}
    # Every segment's rows in error in one polars call (one per segment cost ~25 ms a BSID).
    queries = [
        sent_lazily(plan, name, *(e.name for e in elements)).filter(
            pl.any_horizontal(_unknown(e) for e in elements)
        )
        for name, elements in coded.items()
    ]
    for (name, elements), bad in zip(
        coded.items(), pl.collect_all(queries, engine=IN_MEMORY), strict=True
    ):
        for element in elements if bad.height else ():  # only the few rows in error
            value = pl.lit(HIDDEN) if element.personal else pl.col(element.name).cast(pl.String)
            hits.append(
                bad.filter(_unknown(element)).select(
                    "_id",
                    segment=pl.lit(name),
                    element=pl.lit(element.name),
                    value=value,
                    table=pl.lit(element.table),
                )
            )
    return pl.concat(hits) if hits else pl.DataFrame(schema={"_id": pl.String})
