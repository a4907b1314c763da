"""`lists` (the registrar's operational lists) and `preview` (the figures OnSIS will show)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from onsis_batch.cli.command import Command, emit_json, say
from onsis_batch.cli.options import (
    EXISTING_FILE,
    config_option,
    data_options,
    examples,
    json_option,
    lang_option,
    options,
    pae_options,
    period_options,
    sample_option,
    show_pii_option,
)
from onsis_batch.cli.planning import PlanOptions
from onsis_batch.errors import EXIT_CLEAN
from onsis_batch.report.i18n import word

FOLDER = click.Path(file_okay=False, path_type=Path)


def _list_names(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    from onsis_batch.tools.lists.rules import list_rules

    return [CompletionItem(name) for name in list_rules() if name.startswith(incomplete)]


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch lists                          # the lists, one line each",
        "onsis-batch lists failing-marks --sample --period jun --out lists/",
        "onsis-batch lists no-diploma --data sis/ --pae pae/ --period jun --year 2025-2026",
        "onsis-batch lists no-exit-code --data sis/ --no-pae --year 2025-2026 --json",
        "onsis-batch lists transmission --out out/ [--period oct --year 2025-2026]",
    ),
)
@click.argument("name", required=False, shell_complete=_list_names)
@options(data_options(required=False), pae_options)
@click.option(
    "--bsid",
    "bsids",
    multiple=True,
    help="List this BSID only (repeatable); default: every BSID with a reporting school.",
)
@options(period_options(required=False), config_option, sample_option)
@click.option(
    "--out",
    "out_dir",
    type=FOLDER,
    help="Write <list>-<period>-<year>.csv and .html here (owner-only). For transmission: "
    "the output folder the batch files were written to (read, and written to).",
)
@click.option(
    "--results",
    "results_dir",
    type=FOLDER,
    help="transmission: the folder `results --out` wrote work lists to (default: --out).",
)
@show_pii_option("whole OENs and the students' names")
@lang_option
@json_option("the list")
def lists(
    name: str | None,
    bsids: tuple[str, ...],
    out_dir: Path | None,
    results_dir: Path | None,
    show_pii: bool,
    lang: str,
    as_json: bool,
    **planned: Any,
) -> None:
    """Registrars' lists: failing marks, last-year students with no diploma, enrolments
    ended without an exit code, and the transmission status of an output folder."""
    from onsis_batch.tools.lists.board_view import TRANSMISSION, list_file_name, transmission_list
    from onsis_batch.tools.lists.output import list_dict, list_text, write_list
    from onsis_batch.tools.lists.rules import list_rules

    if name is None:
        _show_lists(lang, as_json)
        return
    if name not in list_rules():
        raise click.UsageError(f"no list {name!r}; the lists are {', '.join(list_rules())}")
    plan = PlanOptions(bsids=bsids, **planned)
    if name == TRANSMISSION:
        if out_dir is None:
            raise click.UsageError("transmission reads the output folder: give --out")
        kind, year = plan.kind, plan.school_year
        if (kind is None) != (year is None):
            raise click.UsageError("give --period and --year together, or neither")
        result = transmission_list(out_dir, results_dir=results_dir, kind=kind, school_year=year)
    else:
        plan = plan.resolved()
        missing = [m for m in plan.missing() if m != "--bsid"]
        if missing:
            raise click.UsageError(f"{name} needs {', '.join(missing)}")
        from onsis_batch.run.lists import student_lists

        result = student_lists(plan.request(), name)
        kind, year = plan.kind, plan.school_year
    stem = list_file_name(name, kind, year, bsids[0] if len(bsids) == 1 else "")
    written = write_list(result, out_dir, stem, lang, show_pii) if out_dir is not None else []
    if as_json:
        body = list_dict(result, lang, show_pii) | {"written": [str(p) for p in written]}
        emit_json("lists", body, verdict=None, exit_code=EXIT_CLEAN)
    else:
        say(list_text(result, lang, show_pii))
        for path in written:
            say(f"{word(lang, 'summary_written')}: {path}")


def _show_lists(lang: str, as_json: bool) -> None:
    """`onsis-batch lists` alone: every list with its one-line description."""
    from onsis_batch.tools.lists.output import lists_dict
    from onsis_batch.tools.lists.rules import list_rules

    if as_json:
        emit_json("lists", lists_dict(list_rules(), lang), verdict=None, exit_code=EXIT_CLEAN)
        return
    width = max(map(len, list_rules()))
    for rule in list_rules().values():
        say(f"{rule.name:<{width}}  {rule.description(lang)}")


@click.command(
    cls=Command,
    epilog=examples(
        "onsis-batch preview out/ONSIS_MARSEC2_20260331_999001.xml",
        "onsis-batch preview out/ONSIS_MARSEC2_20260331_999001.xml --pae pae/ \\",
        "    --compare out/ONSIS_OCTSEC1_20251031_999001.xml --html preview.html",
        "onsis-batch preview FILE.xml --json > oct-preview.json   # keep for next period",
        "onsis-batch preview NEXT.xml --compare oct-preview.json --lang fr",
    ),
)
@click.argument("xml_file", type=EXISTING_FILE)
@click.option(
    "--pae",
    "pae_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The PAE the file was made against: what OnSIS holds and the file does not "
    "resend counts too (unless the file's CLEAR_* flag purges it).",
)
@click.option(
    "--compare",
    "previous",
    type=EXISTING_FILE,
    help="Last period's batch file, or the JSON `preview --json` printed for it: show the "
    "differences.",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the preview as an HTML page (owner-only).",
)
@lang_option
@json_option("the figures")
def preview(
    xml_file: Path,
    pae_dir: Path | None,
    previous: Path | None,
    html_out: Path | None,
    lang: str,
    as_json: bool,
) -> None:
    """The figures OnSIS shows after the upload (enrolment by grade and attendance type,
    FTE, credits earned, diplomas), from a batch file before it is sent."""
    from onsis_batch.render.publish import write_private
    from onsis_batch.tools.preview.compare import differences, other_school, previous_figures
    from onsis_batch.tools.preview.figures import preview as compute
    from onsis_batch.tools.preview.view import preview_dict, preview_html, preview_text

    figures = compute(xml_file, pae_dir)
    changes = None
    if previous is not None:
        before = previous_figures(previous)
        changes = differences(figures, before)
        figures.findings.extend(other_school(figures, before, previous))
    if html_out is not None:
        compared = str(previous) if previous else None
        write_private(html_out, preview_html(figures, lang, changes, compared))
    if as_json:
        body = preview_dict(figures, lang)
        body |= {"compared_with": str(previous) if previous else None, "differences": changes}
        emit_json("preview", body, verdict=None, exit_code=EXIT_CLEAN, lang=lang)
    else:
        say(preview_text(figures, lang, changes))
        if html_out is not None:
            say(f"{word(lang, 'summary_written')}: {html_out}")
    sys.exit(EXIT_CLEAN)
