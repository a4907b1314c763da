"""The plan: what will be sent, as plain data, before any XML exists.

One polars frame per segment. Every frame has these bookkeeping columns

  _id      str   identity of the row, unique within the segment (e.g. the OEN)
  _parent  str   `_id` of the parent row (null for rows directly under SCHOOL)
  _order   int   stable order among siblings (after the action order)
  _action  str   ADD / UPDATE / DELETE (null for segments without ACTION)
  _reason  str   rule id that decided the row, e.g. SSE-ADD-NEW

then one column per element of the segment spec, holding the typed value (str, date,
float, bool, int). A null value is written as an empty element. A boolean column named
`<ELEMENT>__omit` that is true leaves the element out of that row altogether.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from onsis_batch.period.periods import SubmissionPeriod

BOOKKEEPING_TYPES = {
    "_id": pl.String,
    "_parent": pl.String,
    "_order": pl.Int64,
    "_action": pl.String,
    "_reason": pl.String,
}
BOOKKEEPING = tuple(BOOKKEEPING_TYPES)
ACTION_RANK = {"DELETE": 0, "UPDATE": 1, "ADD": 2}
OMIT_SUFFIX = "__omit"


@dataclass(frozen=True)
class Plan:
    """Everything one batch file (one BSID, one period) will contain."""

    period: SubmissionPeriod
    segments: dict[str, pl.DataFrame] = field(default_factory=dict)
    # records of the school data the file leaves out: kind, record, key, table, row, reason
    # (segments/not_sent.py); empty when the builders did not account for them
    not_sent: pl.DataFrame = field(default_factory=pl.DataFrame)

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per segment and action, e.g. {"STUDENT_SCHOOL_ENROLMENT": {"ADD": 3}}."""
        result: dict[str, dict[str, int]] = {}
        for name, frame in self.segments.items():
            if frame.height == 0:
                result[name] = {}
                continue
            actions = frame.get_column("_action").fill_null("-").value_counts(sort=True)
            result[name] = {
                str(a): int(n) for a, n in zip(actions[:, 0], actions[:, 1], strict=True)
            }
        return result

    def not_sent_counts(self) -> dict[str, int]:
        """Records not sent per reason id, in the order the frame lists them."""
        if not self.not_sent.height:
            return {}
        counted = self.not_sent.group_by("reason", maintain_order=True).len()
        return {str(r): int(n) for r, n in counted.iter_rows()}
