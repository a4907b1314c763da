"""The generate pipeline: load → period → PAE → segments → checks → render/validate/publish.

Stages stop the run only where going on would produce a wrong file: problems in the
inputs (school data, PAE extracts, period settings, data a segment cannot send) end the
run with exit code 2 and no output. Problems in the planned file itself (a mandatory
element with no value) are errors the registrar must fix, but the file is still written
when it passes the schema, so they can see it; the run then ends with exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.findings import Finding, InputError, Severity, has_errors
from onsis_batch.pae.extracts import read_pae_folder
from onsis_batch.pae.layout import empty_frame, load_layouts
from onsis_batch.period.config import overlay_settings
from onsis_batch.period.periods import SubmissionPeriod, resolve_period
from onsis_batch.plan.model import Plan
from onsis_batch.plan.overrides import OverrideSet
from onsis_batch.render.publish import publish
from onsis_batch.run.lock import output_lock
from onsis_batch.run.manifest import record_run
from onsis_batch.run.slicing import share_tables, tables_for_bsid
from onsis_batch.segments.build import build_plan
from onsis_batch.segments.context import SegmentContext
from onsis_batch.sources import DataSource, StagedData, load_folder
from onsis_batch.sources.origin import data_source
from onsis_batch.validate.batch_file import check_plan

EXIT_CLEAN, EXIT_ERRORS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
REQUIRED_EXTRACTS = ("0003",)
INTERNAL_ERROR = "RUN001"  # the finding of a BSID the tool itself failed on


@dataclass
class RunResult:
    """What one generate run did: the file, the plan's counts and every finding."""

    bsid: str
    period: SubmissionPeriod | None = None
    plan: Plan | None = None  # kept for callers in the same process; None once dropped
    planned: bool = False
    students: int = 0
    segment_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    output: Path | None = None
    sha256: str | None = None
    size: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0  # wall time of this BSID in a board run
    overrides_applied: list[dict[str, Any]] = field(default_factory=list)
    report: Path | None = None  # the HTML run report, when asked for (`generate --html`)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 errors in the planned file, 2 inputs that could not be used, 3 internal."""
        if any(f.code == INTERNAL_ERROR for f in self.findings):
            return EXIT_INTERNAL
        if not has_errors(self.findings):
            return EXIT_CLEAN
        return EXIT_ERRORS if self.planned else EXIT_INPUT

    def counts(self) -> dict[str, dict[str, int]]:
        return self.segment_counts

    def without_plan(self) -> RunResult:
        """The same result minus the plan's frames (to send between processes)."""
        self.plan = None
        return self


@dataclass(frozen=True)
class Inputs:
    """School data and PAE extracts of a run, loaded once for one or many BSIDs."""

    tables: dict[str, pl.DataFrame]
    pae: dict[str, dict[str, pl.DataFrame]]  # bsid -> extract -> rows
    findings: list[Finding]


Stage = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    """Report options of a run beyond the period and the submission type."""

    co_teacher_roles: tuple[str, ...] = ()  # co-teacher roles that get class assignments
    report_core_flag: bool = False  # private schools: send CORE_FLAG in educator assignments
    board_settings: tuple[dict[str, Any], ...] = ()  # config values over board_settings (D310)
    output_name: str | None = None  # batch file name pattern from the config

    def period_settings(self) -> dict[str, Any]:
        return {
            "co_teacher_roles": self.co_teacher_roles,
            "report_core_flag": self.report_core_flag,
            "output_name": self.output_name,
        }


def _quiet(_stage: str) -> None:
    """Default stage callback: report nothing."""


def load_inputs(
    data_dir: Path | str | DataSource,  # folder, database URI/file or DataSource
    pae_dir: Path | None,
    *,
    kind: str,
    school_year: str,
    bsids: list[str],
    private: bool = False,
    options: RunOptions | None = None,
    on_stage: Stage = _quiet,
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Load and check everything the runs need; raise InputError when it cannot be used."""
    on_stage("reading school data")
    loaded = load_folder(data_dir)
    return _with_pae(
        loaded.tables,
        loaded.findings,
        pae_dir,
        kind=kind,
        school_year=school_year,
        bsids=bsids,
        private=private,
        options=options,
        on_stage=on_stage,
    )


def load_staged_inputs(
    staged: StagedData,
    pae_dir: Path | None,
    *,
    kind: str,
    school_year: str,
    bsids: list[str],
    private: bool = False,
    options: RunOptions | None = None,
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Periods and PAE extracts of some BSIDs of a staged board, with no student rows yet.

    `tables` holds only the board-wide settings; `share_inputs` adds the rows of the
    students of some of these BSIDs, so a worker holds a few schools' students at a time.
    """
    if has_errors(staged.findings):
        raise InputError(list(staged.findings))
    settings = {name: staged.scan(name).collect() for name in ("board_settings", "schools")}
    return _with_pae(
        settings,
        staged.findings,
        pae_dir,
        kind=kind,
        school_year=school_year,
        bsids=bsids,
        private=private,
        options=options,
    )


def share_inputs(staged: StagedData, inputs: Inputs, periods: list[SubmissionPeriod]) -> Inputs:
    """`inputs` with every table, per-student ones limited to these BSIDs' students."""
    tables = share_tables(staged, periods, inputs.pae, list(contract()))
    return replace(inputs, tables=tables)


def _with_pae(
    tables: dict[str, pl.DataFrame],
    found: list[Finding],
    pae_dir: Path | None,
    *,
    kind: str,
    school_year: str,
    bsids: list[str],
    private: bool,
    options: RunOptions | None,
    on_stage: Stage = _quiet,
) -> tuple[Inputs, dict[str, SubmissionPeriod]]:
    """Resolve each BSID's period and read its PAE extracts; InputError on any error."""
    findings = list(found)
    if has_errors(findings):
        raise InputError(findings)
    periods = {}
    config_rows = (options or RunOptions()).board_settings
    board_settings = overlay_settings(tables["board_settings"], config_rows)
    for bsid in bsids:
        periods[bsid] = resolve_period(
            kind=kind,
            school_year=school_year,
            bsid=bsid,
            board_settings=board_settings,
            schools=tables["schools"],
            private=private,
            **(options or RunOptions()).period_settings(),
        )
    any_period = next(iter(periods.values()))
    pae: dict[str, dict[str, pl.DataFrame]]
    if pae_dir is None:
        pae = {bsid: {n: empty_frame(n) for n in load_layouts()} for bsid in bsids}
    else:
        on_stage("reading PAE extracts")
        pae_set = read_pae_folder(
            pae_dir,
            school_year=school_year,
            period_code=any_period.code,
            period_description=any_period.description,
            bsids=bsids,
            required=REQUIRED_EXTRACTS,
        )
        findings += pae_set.findings
        if has_errors(findings):
            raise InputError(findings)
        pae = {bsid: pae_set.for_bsid(bsid) for bsid in bsids}
    return Inputs(tables=tables, pae=pae, findings=findings), periods


def run_bsid(
    inputs: Inputs,
    period: SubmissionPeriod,
    out_dir: Path,
    *,
    created: datetime,
    encoding: str = "iso-8859-1",
    on_stage: Stage = _quiet,
    findings: list[Finding] | None = None,
    overrides: OverrideSet | None = None,
) -> RunResult:
    """Plan, check and publish the batch file of one BSID.

    `findings`: the input findings this BSID's result carries (default: all of `inputs`').
    """
    on_stage(f"planning BSID {period.bsid}")
    carried = inputs.findings if findings is None else findings
    result = RunResult(bsid=period.bsid, period=period, findings=list(carried))
    pae = inputs.pae[period.bsid]
    ctx = SegmentContext(period=period, tables=tables_for_bsid(inputs.tables, period, pae), pae=pae)
    plan, found = build_plan(ctx)
    result.findings += found
    if has_errors(found):
        return result  # the data cannot be sent as it is: no plan, no file
    if overrides is not None:  # registrar decisions, after every rule (D206)
        plan, result.overrides_applied, found = overrides.apply(plan, created.date())
        result.findings += found
        if has_errors(found):
            return result  # an override that cannot be applied as written: no file
    result.plan, result.planned = plan, True
    result.students = plan.segments["STUDENT"].height
    result.segment_counts = plan.counts()
    result.findings += check_plan(plan)
    on_stage("writing and validating the batch file")
    published = publish(plan, out_dir, created=created, encoding=encoding)
    result.findings += published.findings
    result.output, result.sha256, result.size = published.path, published.sha256, published.size
    return result


def generate(
    data_dir: Path | str | DataSource,  # folder, database URI/file or DataSource
    pae_dir: Path | None,
    out_dir: Path,
    *,
    bsid: str,
    kind: str,
    school_year: str,
    private: bool = False,
    options: RunOptions | None = None,
    created: datetime | None = None,
    encoding: str = "iso-8859-1",
    on_stage: Stage = _quiet,
    overrides_file: Path | None = None,
    report: Any = None,
) -> RunResult:
    """One batch file for one BSID and period, with every finding met on the way.

    The output folder is locked for the run: a second run on it gets RUN002 and writes
    nothing. A published file gets its manifest (`<output>.manifest.json`); with `report`
    (html_report.ReportOptions) a planned run also gets its HTML report.
    """
    overrides = OverrideSet.load(overrides_file) if overrides_file else None
    if overrides is not None and has_errors(overrides.findings):
        return RunResult(bsid=bsid, findings=overrides.findings)
    created = created or datetime.now()
    settings = {"bsid": bsid, "period": kind, "school_year": school_year, "private": private}
    source = data_source(data_dir).label  # a database URI's password masked
    settings |= {"encoding": encoding, "data": source, "pae": str(pae_dir or "")}
    settings |= {"overrides": str(overrides_file or "")}
    try:
        with output_lock(out_dir):
            inputs, periods = load_inputs(
                data_dir,
                pae_dir,
                kind=kind,
                school_year=school_year,
                bsids=[bsid],
                private=private,
                options=options,
                on_stage=on_stage,
            )
            result = run_bsid(
                inputs,
                periods[bsid],
                out_dir,
                created=created,
                encoding=encoding,
                on_stage=on_stage,
                overrides=overrides,
            )
            if report is not None:
                from onsis_batch.report.html_report import write_run_report

                result.report = write_run_report(result, inputs, out_dir, report, created)
            record_run(result, data_dir, pae_dir, created, settings)
            return result
    except InputError as problem:
        return RunResult(bsid=bsid, findings=problem.findings)


def errors_first(findings: list[Finding]) -> list[Finding]:
    """Findings ordered for people: errors, then warnings, then notes; stable otherwise."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: rank[f.severity])
