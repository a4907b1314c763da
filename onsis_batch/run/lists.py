"""The registrar's lists of a request: the school data and PAE loaded as `generate` loads
them, each list worked out per BSID and put together (D870)."""

from __future__ import annotations

import polars as pl

from onsis_batch.run.board_run import choose_bsids
from onsis_batch.run.planning import load_inputs
from onsis_batch.run.request import PlanRequest
from onsis_batch.tools.lists.output import ListResult
from onsis_batch.tools.lists.rules import list_rules
from onsis_batch.tools.lists.students import student_list


def student_lists(request: PlanRequest, name: str) -> ListResult:
    """The list `name` for the request's BSIDs (every BSID with a reporting school when it
    names none). InputError when the school data or the PAE cannot be used."""
    if not request.bsids:
        request = choose_bsids(request)
    inputs, periods = load_inputs(request)
    frames = [
        student_list(name, inputs.tables, periods[bsid], inputs.pae[bsid]) for bsid in request.bsids
    ]
    first = periods[request.bsids[0]]
    scope = {
        "period": first.code,
        "school_year": request.school_year,
        "count_date": first.count_date.isoformat(),
        "bsids": list(request.bsids),
    }
    return ListResult(list_rules()[name], pl.concat(frames, how="vertical_relaxed"), scope)
