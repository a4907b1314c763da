"""Command line: parse options, call the library, map outcomes to exit codes. No logic.

Exit codes: 0 clean, 1 errors in findings, 2 input or usage errors, 3 internal error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from onsis_batch import __version__

EXIT_INTERNAL = 3  # kept here so `--help` does not load the data libraries

PERIODS = click.Choice(["oct", "mar", "jun"])


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _timestamp(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not like 2025-10-31T09:30:00") from None


def _school_year(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from onsis_batch.period.periods import parse_school_year

    if value is None:
        return None
    try:
        return parse_school_year(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Board configuration YAML (docs/config.example.yaml); command-line options win.",
)


def _config(path: Path | None) -> Any:
    """The loaded board configuration (None without --config); exit 2 when it has errors."""
    if path is None:
        return None
    from onsis_batch.findings import has_errors
    from onsis_batch.period.config import load_config

    config, findings = load_config(path)
    for problem in findings:
        click.echo(str(problem), err=True)
    if has_errors(findings):
        sys.exit(2)
    return config


def _private(private: bool, submission_type: str | None) -> bool | None:
    """True/False when the command line chose the submission type, None when it did not."""
    if private or submission_type == "private":
        return True
    return False if submission_type == "public" else None


class _Stages:
    """One status line on an interactive terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, stage: str) -> None:
        if self.enabled:
            click.echo(f"\r\033[K{stage}…", nl=False, err=True)

    def done(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", nl=False, err=True)


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _options(*options: Decorator) -> Decorator:
    """Several click options as one decorator, shown in the order given."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):  # decorators apply bottom-up
            command = option(command)
        return command

    return decorate


# What every command that builds a plan is told about the submission.
_submission_options = _options(
    click.option("--private", is_flag=True, help="Private-school submission."),
    click.option(
        "--submission-type",
        type=click.Choice(["public", "private"]),
        help="Public or private school submission (private is the same as --private).",
    ),
    click.option(
        "--co-teacher-role",
        "co_teacher_roles",
        multiple=True,
        help="Co-teacher role whose teachers get class assignments (repeatable).",
    ),
    click.option(
        "--core-flag",
        is_flag=True,
        help="Private schools: report CORE_FLAG in educator assignments.",
    ),
)


def _data_options(required: bool) -> Decorator:
    """`--data` (a folder or a database URI, kept as text) and `--table-map`."""
    return _options(
        click.option(
            "--data",
            "data_dir",
            required=required,
            help="School data: a folder of CSV/Parquet tables, or a database "
            "(postgresql://..., sqlite:///file.db, duckdb:///file.duckdb, *.sqlite, *.duckdb).",
        ),
        click.option(
            "--table-map",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="YAML file naming the SQL table or view of some contract tables (databases).",
        ),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="onsis-batch")
def cli() -> None:
    """Build and check OnSIS secondary-school batch submissions."""


@cli.command()
@_data_options(required=False)
@click.option(
    "--pae",
    "pae_dir",
    type=click.Path(path_type=Path),
    help="Folder of Pending Area Extract CSV files.",
)
@click.option(
    "--no-pae",
    is_flag=True,
    help="First submission: OnSIS holds nothing yet, every record is an ADD.",
)
@click.option("--bsid", help="Ministry school number (BSID) to report.")
@click.option("--period", "kind", type=PERIODS, help="Submission period: oct, mar or jun.")
@click.option("--year", "school_year", callback=_school_year, help="School year, e.g. 2025-2026.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for the batch file.",
)
@_submission_options
@click.option(
    "--timestamp",
    callback=_timestamp,
    help="Pin the header DATE/TIME (ISO), for byte-identical reruns.",
)
@click.option(
    "--encoding",
    type=click.Choice(["iso-8859-1", "utf-8"]),
    default="iso-8859-1",
    show_default=True,
)
@click.option(
    "--sample",
    is_flag=True,
    help="Use the bundled sample school (fills --data, --pae, --bsid, --year).",
)
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of registrar overrides (set elements or force an ACTION).",
)
@click.option(
    "--html",
    "html_report",
    is_flag=True,
    help="Also write an HTML report beside the batch file (<file>.report.html).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr"]),
    default="en",
    show_default=True,
    help="Language of the summary, its findings and the HTML report.",
)
@click.option("--show-pii", is_flag=True, help="HTML report: show OENs instead of masking them.")
@_CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def generate(
    data_dir: str | Path | None,
    table_map: Path | None,
    pae_dir: Path | None,
    no_pae: bool,
    bsid: str | None,
    kind: str | None,
    school_year: str | None,
    out_dir: Path,
    private: bool,
    submission_type: str | None,
    co_teacher_roles: tuple[str, ...],
    core_flag: bool,
    timestamp: datetime | None,
    encoding: str,
    sample: bool,
    overrides_file: Path | None,
    html_report: bool,
    lang: str,
    show_pii: bool,
    config_file: Path | None,
    as_json: bool,
) -> None:
    """Generate the batch file of one BSID for one submission period."""
    from onsis_batch.period.config import CommandLine, run_settings
    from onsis_batch.report.html_report import ReportOptions
    from onsis_batch.report.summary import summary_dict, summary_text
    from onsis_batch.run.pipeline import generate as run
    from onsis_batch.run.sample import sample_run

    kind = kind or "oct"
    if sample:
        data_dir, pae_dir, bsid, school_year = sample_run(kind)
    missing = [
        name
        for name, value in (("--data", data_dir), ("--bsid", bsid), ("--year", school_year))
        if value is None
    ]
    if pae_dir is None and not no_pae:
        missing.append("--pae (or --no-pae)")
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)} (or use --sample)")
    assert data_dir is not None and bsid is not None and school_year is not None
    config = _config(config_file)
    data = _data_source(data_dir, table_map, config)
    given = CommandLine(_private(private, submission_type), co_teacher_roles, core_flag)
    private, options = run_settings(config, given)
    stages = _Stages(sys.stderr.isatty() and not as_json)
    result = run(
        data,
        None if no_pae else pae_dir,
        out_dir,
        bsid=bsid,
        kind=kind,
        school_year=school_year,
        private=private,
        options=options,
        created=timestamp,
        encoding=encoding,
        on_stage=stages,
        overrides_file=overrides_file,
        report=ReportOptions(lang=lang, show_pii=show_pii) if html_report else None,
    )
    stages.done()
    report = {"report": str(result.report)} if result.report else {}
    if as_json:
        _emit_json(summary_dict(result) | report)
    else:
        click.echo(summary_text(result, lang=lang))
        if result.report:
            click.echo(f"report: {result.report}")
    sys.exit(result.exit_code)


def _data_source(data: str | Path, table_map: Path | None, config: Any = None) -> Any:
    """The `--data` source with its table map (`--table-map`, else the config file's
    `tables:` for a database); a usage error when they do not fit."""
    from onsis_batch.sources.database import parse_database
    from onsis_batch.sources.origin import data_source, read_table_map

    try:
        if table_map is not None:
            mapping = read_table_map(table_map)
        elif config is not None and config.tables and parse_database(data) is not None:
            mapping = config.tables
        else:
            mapping = None
        return data_source(data, mapping)
    except ValueError as problem:
        raise click.UsageError(str(problem)) from None


@cli.command()
@click.option("--oen", help="Explain the student with this OEN.")
@click.option("--class", "class_code", help="Explain the class with this class code.")
@click.option("--men", help="Explain the educator with this MEN.")
@_data_options(required=False)
@click.option("--pae", "pae_dir", type=click.Path(path_type=Path), help="PAE extracts folder.")
@click.option("--no-pae", is_flag=True, help="First submission: OnSIS holds nothing yet.")
@click.option("--bsid", help="Ministry school number (BSID).")
@click.option("--period", "kind", type=PERIODS, help="Submission period: oct, mar or jun.")
@click.option("--year", "school_year", callback=_school_year, help="School year, e.g. 2025-2026.")
@_submission_options
@click.option("--sample", is_flag=True, help="Use the bundled sample school.")
@click.option(
    "--overrides",
    "overrides_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of registrar overrides, applied as generate applies them.",
)
@click.option("--show-pii", is_flag=True, help="Show names, birth dates and every OEN.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain(
    oen: str | None,
    class_code: str | None,
    men: str | None,
    data_dir: str | None,
    table_map: Path | None,
    pae_dir: Path | None,
    no_pae: bool,
    bsid: str | None,
    kind: str | None,
    school_year: str | None,
    private: bool,
    submission_type: str | None,
    co_teacher_roles: tuple[str, ...],
    core_flag: bool,
    sample: bool,
    overrides_file: Path | None,
    show_pii: bool,
    lang: str,
    as_json: bool,
) -> None:
    """Explain one record: every segment sent or not, its action, rule, input and PAE rows.

    The plan is built in memory as generate would build it; nothing is written.
    """
    from onsis_batch.findings import InputError
    from onsis_batch.report.explain import Subject
    from onsis_batch.report.explain_view import ExplainRequest, explain_text, run_explain
    from onsis_batch.run.pipeline import RunOptions
    from onsis_batch.run.sample import sample_run

    asked = [(k, v) for k, v in (("oen", oen), ("class", class_code), ("men", men)) if v]
    if len(asked) != 1:
        raise click.UsageError("give exactly one of --oen, --class or --men")
    kind = kind or "oct"
    if sample:
        data_dir, pae_dir, bsid, school_year = sample_run(kind)
    if data_dir is None or bsid is None or school_year is None or (pae_dir is None and not no_pae):
        raise click.UsageError("give --data, --pae (or --no-pae), --bsid and --year (or --sample)")
    request = ExplainRequest(
        data_dir=_data_source(data_dir, table_map),
        pae_dir=None if no_pae else pae_dir,
        bsid=bsid,
        kind=kind,
        school_year=school_year,
        subject=Subject(*asked[0]),
        private=private or submission_type == "private",
        options=RunOptions(co_teacher_roles=co_teacher_roles, report_core_flag=core_flag),
        overrides_file=overrides_file,
        show_pii=show_pii,
    )
    try:
        data = run_explain(request)
    except InputError as problem:
        for item in problem.findings:
            click.echo(str(item), err=True)
        sys.exit(2)
    _emit_json(data) if as_json else click.echo(explain_text(data, lang))
    sys.exit(0 if data["found"] else 1)


@cli.command()
@click.argument("xml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def validate(xml_file: Path, as_json: bool) -> None:
    """Check a batch file against the schema."""
    from onsis_batch.findings import has_errors
    from onsis_batch.validate.batch_file import validate_file

    findings = validate_file(xml_file)
    if as_json:
        _emit_json(
            {
                "file": str(xml_file),
                "valid": not has_errors(findings),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        for problem in findings:
            click.echo(str(problem))
        click.echo(f"{xml_file}: {'invalid' if has_errors(findings) else 'valid'}")
    sys.exit(1 if has_errors(findings) else 0)


@cli.command()
@click.argument("segment", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def segments(segment: str | None, as_json: bool) -> None:
    """List the segments this version generates, or the elements of one segment."""
    from onsis_batch.tools.reference_docs import segment_listing

    data, text = segment_listing(segment)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def contract(as_json: bool) -> None:
    """Describe every input table and column the tool reads."""
    from onsis_batch.tools.reference_docs import contract_listing

    data, text = contract_listing()
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option(
    "--json", "as_json", is_flag=True, help="Print as JSON (every field, both languages)."
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
def codes(as_json: bool, lang: str) -> None:
    """List every finding code: severity, segment, Ministry code and title."""
    from onsis_batch.tools.reference_docs import findings_listing

    data, text = findings_listing(lang)
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.argument("segment", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Print as JSON (every field, both languages)."
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
def reasons(segment: str | None, as_json: bool, lang: str) -> None:
    """List the rule ids of plan rows: segment, action, title, decisions, rule book."""
    from onsis_batch.tools.reason_reference import reason_listing

    data, text = reason_listing(segment, lang)
    if data is None:
        raise click.BadParameter(f"no segment {segment!r}", param_hint="SEGMENT")
    _emit_json(data) if as_json else click.echo(text)


@cli.command()
@click.option("--students", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--schools", type=click.IntRange(1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--year", "school_year", callback=_school_year, default="2025-2026", show_default=True
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
def synth(students: int, schools: int, seed: int, school_year: str, out_dir: Path) -> None:
    """Write synthetic school data and matching PAE extracts (fake OENs)."""
    from onsis_batch.synth import synthesize

    summary = synthesize(
        out_dir, students=students, schools=schools, seed=seed, school_year=school_year
    )
    click.echo(f"school data: {summary.data_dir}")
    for code, folder in summary.pae_dirs.items():
        click.echo(f"PAE {code}: {folder}")
    click.echo(f"BSIDs: {', '.join(summary.bsids)}; students: {summary.students}")


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
def docs(check: bool) -> None:
    """Regenerate the reference docs and the XSD from the specs (or check them)."""
    from onsis_batch.tools.reference_docs import write_generated

    try:
        stale = write_generated(check=check)
    except FileNotFoundError as problem:
        raise click.UsageError(str(problem)) from None
    for path in stale:
        click.echo(f"{'stale' if check else 'written'}: {path}")
    sys.exit(1 if check and stale else 0)


@cli.command()
@_data_options(required=True)
@click.option("--pae", "pae_dir", type=click.Path(path_type=Path), help="Folder of PAE files.")
@click.option("--no-pae", is_flag=True, help="First submission: every record is an ADD.")
@click.option("--period", "kind", type=PERIODS, required=True, help="oct, mar or jun.")
@click.option("--year", "school_year", callback=_school_year, required=True, help="2025-2026.")
@click.option(
    "--bsid",
    "only",
    multiple=True,
    help="Generate only this BSID (repeatable); default: every BSID with a reporting school.",
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"))
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Worker processes (default: the number of cores).",
)
@_submission_options
@_CONFIG_OPTION
@click.option("--timestamp", callback=_timestamp, help="Pin the header DATE/TIME (ISO).")
@click.option("--json", "as_json", is_flag=True, help="Print the board summary as JSON.")
@click.option("--log-json", is_flag=True, help="Log one JSON object per event on stderr.")
@click.option(
    "--keep",
    type=click.IntRange(1),
    help="Afterwards, keep only the newest N batch files per BSID (and summaries).",
)
def board(
    data_dir: str,
    table_map: Path | None,
    pae_dir: Path | None,
    no_pae: bool,
    kind: str,
    school_year: str,
    only: tuple[str, ...],
    out_dir: Path,
    workers: int | None,
    private: bool,
    submission_type: str | None,
    co_teacher_roles: tuple[str, ...],
    core_flag: bool,
    config_file: Path | None,
    timestamp: datetime | None,
    as_json: bool,
    log_json: bool,
    keep: int | None,
) -> None:
    """Generate the batch file of every BSID of the board for one period, in parallel.

    Each school is isolated: one school's bad data or failure gives findings for that
    school and does not stop the others. Exit code: the worst of the schools' codes.
    """
    import os

    from onsis_batch.findings import count_by_severity
    from onsis_batch.period.config import CommandLine, run_settings
    from onsis_batch.period.periods import board_bsids
    from onsis_batch.report.board import (
        board_summary_dict,
        board_summary_text,
        school_line,
        write_board_summary,
    )
    from onsis_batch.run.board import generate_many
    from onsis_batch.run.log import RunLog
    from onsis_batch.run.retention import purge
    from onsis_batch.sources import load_folder

    if pae_dir is None and not no_pae:
        raise click.UsageError("missing --pae (or --no-pae)")
    given = CommandLine(_private(private, submission_type), co_teacher_roles, core_flag)
    config = _config(config_file)
    private, options = run_settings(config, given)
    data = _data_source(data_dir, table_map, config)
    schools = load_folder(data, tables=["schools"])
    if not schools.files.get("schools"):
        for problem in schools.findings:
            click.echo(str(problem), err=True)
        sys.exit(2)
    bsids = sorted(set(only)) or board_bsids(schools.tables["schools"])
    workers = min(workers or os.cpu_count() or 1, max(len(bsids), 1))
    log = RunLog(as_json=True, enabled=log_json)  # the school lines say the rest
    progress = _BoardProgress(len(bsids), live=sys.stderr.isatty() and not log_json and not as_json)
    log.event(
        "board_start", period=kind, school_year=school_year, bsids=len(bsids), workers=workers
    )

    def finished(result: Any) -> None:
        by_severity = count_by_severity(result.findings)
        counts = {"errors": by_severity["error"], "warnings": by_severity["warning"]}
        log.event(
            "bsid_done",
            bsid=result.bsid,
            exit_code=result.exit_code,
            students=result.students,
            output=result.output.name if result.output else None,
            seconds=round(result.seconds, 2),
            **counts,
        )
        progress.step(school_line(result), quiet=as_json or log_json)

    run = generate_many(
        data,
        None if no_pae else pae_dir,
        out_dir,
        bsids=bsids,
        kind=kind,
        school_year=school_year,
        created=timestamp or datetime.now(),
        workers=workers,
        private=private,
        options=options,
        on_result=finished,
    )
    progress.done()
    if run.data_findings or any(r.output for r in run.results):
        write_board_summary(run, out_dir, kind, school_year)
    if keep is not None:
        removed = purge(out_dir, keep=keep)
        log.event("purged", out_dir=str(out_dir), removed=len(removed))
    if as_json:
        _emit_json(board_summary_dict(run, kind, school_year))
    else:
        click.echo(board_summary_text(run, kind, school_year))
    log.event("board_done", exit_code=run.exit_code, seconds=round(run.seconds, 1))
    sys.exit(run.exit_code)


class _BoardProgress:
    """A live status line on a terminal; one line per finished school otherwise."""

    def __init__(self, total: int, live: bool) -> None:
        self.total, self.live, self.finished = total, live, 0
        self.started = datetime.now()

    def step(self, line: str, quiet: bool) -> None:
        self.finished += 1
        if self.live:
            elapsed = (datetime.now() - self.started).total_seconds()
            status = f"[{self.finished}/{self.total}] {elapsed:5.0f} s  {line}"
            click.echo(f"\r\033[K{status}", nl=False, err=True)
        elif not quiet:
            click.echo(line)

    def done(self) -> None:
        if self.live:
            click.echo("\r\033[K", nl=False, err=True)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option(
    "--older-than", "days", type=click.FloatRange(0), help="Delete outputs older than DAYS."
)
@click.option("--keep", type=click.IntRange(1), help="Keep only the newest N batch files per BSID.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
def purge(out_dir: Path, days: float | None, keep: int | None, dry_run: bool) -> None:
    """Delete old batch files, manifests and summaries: personal data kept no longer."""
    from onsis_batch.findings import InputError
    from onsis_batch.run.retention import purge as remove

    if days is None and keep is None:
        raise click.UsageError("give --older-than DAYS, --keep N, or both")
    try:
        removed = remove(out_dir, older_than_days=days, keep=keep, dry_run=dry_run)
    except InputError as problem:
        for item in problem.findings:
            click.echo(str(item), err=True)
        sys.exit(2)
    for path in removed:
        click.echo(f"{'would delete' if dry_run else 'deleted'}: {path}")
    click.echo(f"{len(removed)} file(s) {'to delete' if dry_run else 'deleted'}")


@cli.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--pae",
    "pae_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Compare one batch file with these PAE extracts: what it will change in OnSIS.",
)
@click.option(
    "--html", "html_out", type=click.Path(path_type=Path), help="Also write an HTML page."
)
@click.option("--show-pii", is_flag=True, help="Show names, birth dates and postal codes.")
@click.option("--exit-code", is_flag=True, help="Exit with 1 when there are differences.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON.")
def diff(
    old: Path,
    new: Path | None,
    pae_dir: Path | None,
    html_out: Path | None,
    show_pii: bool,
    exit_code: bool,
    lang: str,
    as_json: bool,
) -> None:
    """Compare two batch files by natural key, or one batch file with the PAE (--pae)."""
    from onsis_batch.render.publish import write_private
    from onsis_batch.tools.diff import diff_files, diff_pae
    from onsis_batch.tools.diff_report import diff_dict, diff_html, diff_text
    from onsis_batch.tools.records import NotABatchFile, batch_findings

    if (new is None) == (pae_dir is None):
        raise click.UsageError("give two batch files, or one batch file and --pae FOLDER")
    try:
        if pae_dir is not None:
            result = diff_pae(old, pae_dir, show_pii=show_pii)
        else:
            assert new is not None
            result = diff_files(old, new, show_pii=show_pii)
    except NotABatchFile as problem:
        for found in batch_findings(problem):
            click.echo(str(found), err=True)
        sys.exit(2)
    if html_out is not None:
        write_private(html_out, diff_html(result, lang))
    _emit_json(diff_dict(result)) if as_json else click.echo(diff_text(result, lang))
    sys.exit(1 if exit_code and result.differs else 0)


@cli.command()
@click.argument("results_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Results file of the previous upload: mark errors new, recurring or resolved.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="School data folder: name the source rows of each error.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write worklist-<BSID>.csv/.json/.html here.",
)
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the errors as JSON.")
def results(
    results_file: Path,
    previous: Path | None,
    data_dir: Path | None,
    out_dir: Path | None,
    lang: str,
    as_json: bool,
) -> None:
    """Import a results file (.OUT) from OnSIS into a work list per school."""
    from onsis_batch.tools.results import NotAResultsFile, import_results
    from onsis_batch.tools.worklist import results_dict, results_text, write_worklists

    try:
        imported = import_results(results_file, previous=previous, data_dir=data_dir)
    except NotAResultsFile as problem:
        for found in problem.findings():
            click.echo(str(found), err=True)
        sys.exit(2)
    written = write_worklists(imported, out_dir, lang) if out_dir is not None else []
    if as_json:
        _emit_json(results_dict(imported))
    else:
        click.echo(results_text(imported, lang))
        for path in written:
            click.echo(f"written: {path}")
    sys.exit(1 if imported.open_errors() else 0)


@cli.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def verify(manifest: Path, as_json: bool) -> None:
    """Re-check the SHA-256 of every file a run manifest lists (inputs and output)."""
    from onsis_batch.run.manifest import verify_manifest

    findings, checked = verify_manifest(manifest)
    unreadable = any(f.code == "MAN003" for f in findings)
    if as_json:
        _emit_json(
            {
                "manifest": str(manifest),
                "checked": checked,
                "valid": not findings,
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        for problem in findings:
            click.echo(str(problem))
        state = "unreadable" if unreadable else "changed" if findings else "all files match"
        click.echo(f"{manifest}: {checked} file(s) checked, {state}")
    sys.exit(2 if unreadable else 1 if findings else 0)


def main() -> None:
    """Entry point: run the CLI, turning unexpected exceptions into exit code 3."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERNAL)
    except SystemExit:
        raise
    except Exception as problem:
        click.echo(f"internal error: {type(problem).__name__}: {problem}", err=True)
        sys.exit(EXIT_INTERNAL)
