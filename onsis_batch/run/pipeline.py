"""One BSID: generate (plan → checks → render/validate/publish → manifest) and explain.

Both plan through `planning.plan`, so explain explains the plan generate would write.
Stages stop the run only where going on would produce a wrong file: problems in the
inputs (school data, PAE extracts, period settings, data a segment cannot send) end the
run with exit code 2 and no output. Problems in the planned file itself (a mandatory
element with no value) are errors the registrar must fix, but the file is still written
when it passes the schema, so they can see it; the run then ends with exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onsis_batch.errors import InputError
from onsis_batch.findings import Finding
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.plan.outcome import Inputs, RunResult
from onsis_batch.render.publish import PublishResult, publish
from onsis_batch.run.lock import output_lock
from onsis_batch.run.manifest import manifest_companion, manifest_path
from onsis_batch.run.planning import Stage, load_overrides, plan, plan_bsid, quiet
from onsis_batch.run.request import PlanRequest
from onsis_batch.validate.batch_file import check_plan

if TYPE_CHECKING:  # the report's modules (jinja2) load only for a run that writes one
    from onsis_batch.report.explain import Subject
    from onsis_batch.report.html_report import ReportOptions


def generate(
    request: PlanRequest,
    out_dir: Path,
    *,
    created: datetime | None = None,
    encoding: str = "iso-8859-1",
    on_stage: Stage = quiet,
    report: ReportOptions | None = None,
    show_pii: bool = False,
) -> RunResult:
    """One batch file for the request's BSID, with every finding met on the way.

    The output folder is locked for the run: a second run on it gets RUN002 and writes
    nothing. A published file gets its manifest (`<output>.manifest.json`); with `report`
    a planned run also gets its HTML report. `show_pii`: findings may quote personal values.
    """
    bsid = request.bsid
    created = created or datetime.now()
    settings = request.manifest_settings(bsid) | {"encoding": encoding}
    settings |= {"overrides": str(request.overrides_file or "")}

    def manifest(file: RunResult) -> tuple[Path, bytes]:
        return manifest_companion(file, request.data, request.pae_dir, created, settings)

    try:
        overrides = load_overrides(request)
        with output_lock(out_dir):
            planned = plan(request, overrides=overrides, today=created.date(), on_stage=on_stage)
            result = publish_result(
                planned.result, out_dir, created, encoding, on_stage, show_pii, manifest
            )
            if report is not None:
                from onsis_batch.report.html_report import write_run_report

                result.report = write_run_report(result, planned.inputs, out_dir, report, created)
            return result
    except InputError as problem:
        return RunResult(bsid=bsid, findings=problem.findings)


def run_bsid(
    inputs: Inputs,
    period: SubmissionPeriod,
    out_dir: Path,
    *,
    created: datetime,
    findings: list[Finding] | None = None,
    manifest: Manifest | None = None,
    before_publish: Callable[[], None] | None = None,
) -> RunResult:
    """Plan, check and publish the batch file of one BSID of loaded inputs (a board's).

    `findings`: the input findings this BSID's result carries (default: all of `inputs`').
    `before_publish`: called right before the file is published (a worker's guard).
    """
    planned = plan_bsid(inputs, period, today=created.date(), findings=findings)
    return publish_result(
        planned.result,
        out_dir,
        created,
        "iso-8859-1",
        quiet,
        manifest=manifest,
        before_publish=before_publish,
    )


# The manifest of a result whose file is about to be published: its path and bytes.
Manifest = Callable[[RunResult], tuple[Path, bytes]]


def publish_result(
    result: RunResult,
    out_dir: Path,
    created: datetime,
    encoding: str,
    on_stage: Stage,
    show_pii: bool = False,
    manifest: Manifest | None = None,
    before_publish: Callable[[], None] | None = None,
) -> RunResult:
    """Check a planned result's plan and publish its batch file, with its manifest as one
    pair when `manifest` is given; unplanned results as given."""
    if not result.planned or result.plan is None:
        return result  # no plan that may be sent: no file
    result.findings += check_plan(result.plan)
    on_stage("writing and validating the batch file")

    def companions(file: PublishResult) -> list[tuple[Path, bytes]]:
        if manifest is None:
            return []
        return [manifest(_with_file(result, file))]

    published = publish(
        result.plan,
        out_dir,
        created=created,
        encoding=encoding,
        show_pii=show_pii,
        companions=companions,
        before_publish=before_publish,
    )
    _with_file(result, published, into=True)
    if published.path is not None and manifest is not None:
        result.manifest = manifest_path(published.path)
    return result


def _with_file(result: RunResult, file: PublishResult, *, into: bool = False) -> RunResult:
    """`result` (a copy, unless `into`) with the file's path, hash, size and findings."""
    target = result if into else replace(result, findings=list(result.findings))
    target.findings += file.findings
    target.output, target.sha256, target.size = file.path, file.sha256, file.size
    return target


def explain_record(
    request: PlanRequest, subject: Subject, *, show_pii: bool = False, today: date | None = None
) -> dict[str, Any]:
    """The explanation of one record of the request's BSID, from the plan generate would
    write; nothing is written. InputError when the inputs cannot be used."""
    from onsis_batch.report.explain_view import explanation

    planned = plan(request, overrides=load_overrides(request), today=today or date.today())
    findings = planned.result.findings
    return explanation(planned.context, planned.plan, findings, subject, show_pii=show_pii)
