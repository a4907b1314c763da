"""`generate` and `explain`: one BSID planned from the same options, written or explained."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from onsis_batch.cli.command import Command, emit_json, quiet, say
from onsis_batch.cli.options import (
    examples,
    json_option,
    lang_option,
    out_option,
    show_pii_option,
    timestamp_option,
)
from onsis_batch.cli.planning import PlanOptions, plan_options
from onsis_batch.errors import EXIT_CLEAN, EXIT_ERRORS


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch generate --sample --period oct --out out",
        "onsis-batch generate --data sis/ --pae pae/ --bsid 999001 --period oct \\",
        "    --year 2025-2026 --out out --timestamp 2025-10-31T09:00:00",
        "onsis-batch generate --data postgresql://sis@db/board --config board.yaml \\",
        "    --pae pae/ --bsid 999001 --period mar --year 2025-2026 --html --json",
        "onsis-batch generate ... --reupload    # a corrected file: every CLEAR_* flag N",
    ),
)
@plan_options(upload=True)
@out_option(text="Folder for the batch file.")
@timestamp_option
@click.option(
    "--encoding",
    type=click.Choice(["iso-8859-1", "utf-8"]),
    default="iso-8859-1",
    show_default=True,
    help="Encoding of the batch file (the rule book's is ISO-8859-1).",
)
@click.option(
    "--html",
    "html_report",
    is_flag=True,
    help="Also write an HTML report beside the batch file (<file>.report.html).",
)
@lang_option
@show_pii_option(
    "OENs in the HTML report instead of masking them, and the characters outside Latin-1 "
    "in findings"
)
@json_option("the summary")
def generate(
    plan: PlanOptions,
    out_dir: Path,
    timestamp: datetime | None,
    encoding: str,
    html_report: bool,
    lang: str,
    show_pii: bool,
    as_json: bool,
) -> None:
    """Generate the batch file of one BSID for one submission period."""
    from onsis_batch.cli.live import StageDisplay
    from onsis_batch.report.summary import run_verdict, summary_dict, summary_text
    from onsis_batch.run.pipeline import generate as run

    plan = plan.resolved()
    if plan.missing():
        raise click.UsageError(f"missing {', '.join(plan.missing())} (or use --sample)")
    request = plan.request()
    report = None
    if html_report:  # the report's templates (jinja2) load only for a run that asks for one
        from onsis_batch.report.html_report import ReportOptions

        report = ReportOptions(lang=lang, show_pii=show_pii)
    with StageDisplay(lang, silent=as_json or quiet()) as stages:
        result = run(
            request,
            out_dir,
            created=timestamp,
            encoding=encoding,
            on_stage=stages,
            report=report,
            show_pii=show_pii,
        )
    if as_json:
        body = summary_dict(result, request.kind, request.school_year, show_pii=show_pii)
        body |= {"report": str(result.report)} if result.report else {}
        verdict = run_verdict(result)
        emit_json("generate", body, verdict=verdict, exit_code=result.exit_code, lang=lang)
    else:
        say(summary_text(result, lang=lang, show_pii=show_pii))
    sys.exit(result.exit_code)


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch explain --sample --period oct --oen 994076896",
        "onsis-batch explain --sample --period mar --class MCV4U-01 --json",
        "onsis-batch explain --data sis/ --pae pae/ --bsid 999001 --period oct --year 2025-2026 \\",
        "    --men 880104729 --lang fr",
        "onsis-batch explain ... --overrides overrides.yaml --timestamp 2025-10-31T09:00:00",
    ),
)
@click.option("--oen", help="Explain the student with this OEN.")
@click.option("--class", "class_code", help="Explain the class with this class code.")
@click.option("--men", help="Explain the educator with this MEN.")
@plan_options()
@timestamp_option
@show_pii_option("names, birth dates and every OEN")
@lang_option
@json_option("the explanation")
def explain(
    oen: str | None,
    class_code: str | None,
    men: str | None,
    plan: PlanOptions,
    timestamp: datetime | None,
    show_pii: bool,
    lang: str,
    as_json: bool,
) -> None:
    """Explain one record: every segment sent or not, its action, rule, input and PAE rows.

    The plan is built in memory as generate would build it; nothing is written.
    """
    from onsis_batch.report.explain import Subject
    from onsis_batch.report.explain_view import explain_text
    from onsis_batch.run.pipeline import explain_record

    asked = [(k, v) for k, v in (("oen", oen), ("class", class_code), ("men", men)) if v]
    if len(asked) != 1:
        raise click.UsageError("give exactly one of --oen, --class or --men")
    plan = plan.resolved()
    if plan.missing():
        raise click.UsageError(f"missing {', '.join(plan.missing())} (or use --sample)")
    today = timestamp.date() if timestamp else None  # the day overrides expire against
    data = explain_record(plan.request(), Subject(*asked[0]), show_pii=show_pii, today=today)
    code = EXIT_CLEAN if data["found"] else EXIT_ERRORS
    if as_json:
        emit_json("explain", data, verdict=None, exit_code=code)
    else:
        say(explain_text(data, lang))
    sys.exit(code)
