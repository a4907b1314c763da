"""Planning a request in memory: load → period → PAE → segments → overrides; nothing written.

`plan` is the one plan path: generate publishes what it returns, explain explains it, and a
board's workers plan each BSID with `plan_bsid`, the same steps after a shared load.
Problems in the inputs (school data, PAE extracts, period settings, an overrides file)
raise InputError with every finding; problems in the plan are findings of its result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.errors import InputError
from onsis_batch.findings import Finding, has_errors
from onsis_batch.pae.expected import missing_extracts
from onsis_batch.pae.extracts import PaeSet, read_pae_folder
from onsis_batch.pae.layout import empty_frame, load_layouts
from onsis_batch.period.config import overlay_settings
from onsis_batch.period.periods import SubmissionPeriod, resolve_period
from onsis_batch.plan.model import Plan
from onsis_batch.plan.outcome import Inputs, RunResult
from onsis_batch.plan.overrides import OverrideSet
from onsis_batch.queries import IN_MEMORY
from onsis_batch.run.request import PlanRequest
from onsis_batch.run.slicing import share_tables, tables_for_bsid
from onsis_batch.segments.build import build_plan
from onsis_batch.segments.context import Chunk, SegmentContext
from onsis_batch.sources import StagedData, load_folder
from onsis_batch.validate.values import unsendable_values

REQUIRED_EXTRACTS = ("0003",)

Stage = Callable[[str], None]


def quiet(_stage: str) -> None:
    """Default stage callback: report nothing."""


@dataclass(frozen=True)
class Planned:
    """One BSID planned in memory: what the builders read, what they decided, the findings.

    `result.planned` says whether the plan may be published; the plan is there either way,
    so explain can show a record of a plan generate would refuse to write.
    """

    inputs: Inputs
    context: SegmentContext
    plan: Plan
    result: RunResult


def plan(
    request: PlanRequest,
    *,
    overrides: OverrideSet | None,
    today: date,
    on_stage: Stage = quiet,
) -> Planned:
    """The plan of the request's BSID with its overrides (`load_overrides`) applied as of
    `today`. The overrides are loaded by the caller first, so that generate refuses a bad
    overrides file before it touches the output folder."""
    inputs, periods = load_inputs(request, on_stage)
    on_stage(f"planning BSID {request.bsid}")
    return plan_bsid(inputs, periods[request.bsid], today=today, overrides=overrides)


def plan_bsid(
    inputs: Inputs,
    period: SubmissionPeriod,
    *,
    today: date,
    overrides: OverrideSet | None = None,
    findings: list[Finding] | None = None,
) -> Planned:
    """Build one BSID's plan from loaded inputs, then apply the registrar's overrides (D206).

    `findings`: the input findings the result carries (default: all of `inputs`').
    """
    carried = inputs.findings if findings is None else findings
    carried = [*carried, *inputs.pae_findings.get(period.bsid, [])]
    result = RunResult(bsid=period.bsid, period=period, findings=carried)
    pae = inputs.pae[period.bsid]
    chunk = Chunk(inputs.tables, inputs.chunk, inputs.shared) if inputs.chunk else None
    tables = tables_for_bsid(inputs.tables, period, pae)
    ctx = SegmentContext(period=period, tables=tables, pae=pae, chunk=chunk)
    built, found = build_plan(ctx)
    result.findings += found
    result.not_sent = built.not_sent_counts()
    if has_errors(found):  # the data cannot be sent as it is
        return Planned(inputs, ctx, built, result)
    if overrides is not None:
        built, result.overrides_applied, found = overrides.apply(built, today)
        result.findings += found
        if has_errors(found):  # an override that cannot be applied as written
            return Planned(inputs, ctx, built, result)
    found = unsendable_values(built, ctx)  # values the file cannot carry, at their input cell
    result.findings += found
    if has_errors(found):
        return Planned(inputs, ctx, built, result)
    result.plan, result.planned = built, True
    result.students = built.segments["STUDENT"].height
    result.segment_counts = built.counts()
    return Planned(inputs, ctx, built, result)


def load_overrides(request: PlanRequest) -> OverrideSet | None:
    """The request's overrides file (None without one); InputError when it has errors."""
    if request.overrides_file is None:
        return None
    overrides = OverrideSet.load(request.overrides_file)
    if has_errors(overrides.findings):
        raise InputError(overrides.findings)
    return overrides


def load_inputs(
    request: PlanRequest, on_stage: Stage = quiet
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Load and check everything the request's BSIDs need; InputError when it cannot be used."""
    on_stage("reading school data")
    loaded = load_folder(request.data)
    return _with_pae(loaded.tables, loaded.findings, request, on_stage)


def load_staged_inputs(
    staged: StagedData, request: PlanRequest, *, pae_staged: bool = False
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Periods and PAE extracts of the request's BSIDs of a staged board, no student rows yet.

    `tables` holds only the board-wide settings; `share_inputs` adds the rows of the
    students of some of these BSIDs, so a worker holds a few schools' students at a time.
    `pae_staged`: the extracts were staged too (`run.pae_stage`) and are read a few BSIDs
    at a time later; `pae` is left empty.
    """
    if has_errors(staged.findings):
        raise InputError(list(staged.findings))
    settings = {
        name: staged.scan(name).collect(engine=IN_MEMORY) for name in ("board_settings", "schools")
    }
    if pae_staged:
        return Inputs(settings, {}, list(staged.findings)), board_periods(settings, request)
    return _with_pae(settings, staged.findings, request)


def share_inputs(staged: StagedData, inputs: Inputs, periods: list[SubmissionPeriod]) -> Inputs:
    """`inputs` with every table, per-student ones limited to these BSIDs' students."""
    tables = share_tables(staged, periods, inputs.pae, list(contract()))
    return replace(inputs, tables=tables, chunk=tuple(periods), shared={})


def _with_pae(
    tables: dict[str, pl.DataFrame],
    found: list[Finding],
    request: PlanRequest,
    on_stage: Stage = quiet,
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Resolve each BSID's period and read its PAE extracts; InputError on any error."""
    findings = list(found)
    if has_errors(findings):
        raise InputError(findings)
    periods = board_periods(tables, request)
    if request.pae_dir is None:
        empty = {bsid: {n: empty_frame(n) for n in load_layouts()} for bsid in request.bsids}
        return Inputs(tables=tables, pae=empty, findings=findings), periods
    on_stage("reading PAE extracts")
    pae_set = read_request_pae(request.pae_dir, request, periods)
    findings += pae_set.findings
    if has_errors(findings):
        raise InputError(findings)
    pae = {bsid: pae_set.for_bsid(bsid) for bsid in request.bsids}
    missing = missing_by_bsid(pae_set, request.pae_dir, periods)
    return Inputs(tables=tables, pae=pae, findings=findings, pae_findings=missing), periods


def read_request_pae(
    pae_dir: Path, request: PlanRequest, periods: dict[str, SubmissionPeriod]
) -> PaeSet:
    """The extracts in `pae_dir` of every BSID of the request, read once (the BSIDs of one
    run share a period code; the first one's names it)."""
    any_period = next(iter(periods.values()))
    return read_pae_folder(
        pae_dir,
        school_year=request.school_year,
        period_code=any_period.code,
        period_description=any_period.description,
        bsids=list(request.bsids),
        required=REQUIRED_EXTRACTS,
    )


def missing_by_bsid(
    pae_set: PaeSet, pae_dir: Path, periods: dict[str, SubmissionPeriod]
) -> dict[str, list[Finding]]:
    """PAE030 per BSID for each extract of its period the folder has no block of."""
    return {
        bsid: missing_extracts(pae_set, pae_dir, bsid, period.kind, required=REQUIRED_EXTRACTS)
        for bsid, period in periods.items()
    }


def board_periods(
    tables: dict[str, pl.DataFrame], request: PlanRequest
) -> dict[str, SubmissionPeriod]:
    """The period of each BSID of the request, the configuration's settings over the table's."""
    board_settings = overlay_settings(tables["board_settings"], request.options.board_settings)
    return {
        bsid: resolve_period(
            kind=request.kind,
            school_year=request.school_year,
            bsid=bsid,
            board_settings=board_settings,
            schools=tables["schools"],
            private=request.private,
            **request.options.period_settings(),
        )
        for bsid in request.bsids
    }
