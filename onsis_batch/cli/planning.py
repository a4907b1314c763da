"""The options that say what to plan (generate, explain, board), gathered into one value.

`plan_options` declares them once and hands the command a `PlanOptions`; its `request()`
builds the library's `PlanRequest` (reading the configuration file), so every command
plans a BSID with the same settings from the same options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from onsis_batch.cli.options import (
    Decorator,
    allow_unknown_columns_option,
    clear_options,
    config_option,
    data_options,
    options,
    overrides_option,
    pae_options,
    period_options,
    sample_option,
    submission_options,
)

if TYPE_CHECKING:
    from onsis_batch.run.request import PlanRequest


@dataclass(frozen=True)
class PlanOptions:
    """What the command line said about what to plan, before any file is read."""

    data_dir: str | Path | None = None
    table_map: Path | None = None
    pae_dir: Path | None = None
    no_pae: bool = False
    bsids: tuple[str, ...] = ()
    kind: str | None = None
    school_year: str | None = None
    private: bool = False
    submission_type: str | None = None
    co_teacher_roles: tuple[str, ...] = ()
    core_flag: bool = False
    config_file: Path | None = None
    overrides_file: Path | None = None
    sample: bool = False
    reupload: bool = False  # the CLEAR_* flags (generate and board; D762)
    clear: tuple[str, ...] = ()
    no_clear: tuple[str, ...] = ()
    allow_unknown_columns: bool = False

    def resolved(self) -> PlanOptions:
        """The period from --period, else the configuration file's `run: period` (no
        default: a nightly run must not silently send October, D847; `missing` names it);
        with --sample, the sample's data, PAE, BSID and year (another --year is refused)."""
        kind = self.kind or configured_period(self.config_file)
        if not self.sample:
            return replace(self, kind=kind)
        if kind is None:
            raise click.UsageError("--sample needs --period (oct, mar or jun)")
        from onsis_batch.run.sample import sample_run

        data, pae, bsid, year = sample_run(kind)
        if self.school_year not in (None, year):
            raise click.UsageError(
                f"--sample has school year {year} only; leave out --year {self.school_year}"
            )
        return replace(self, kind=kind, data_dir=data, pae_dir=pae, bsids=(bsid,), school_year=year)

    def missing(self) -> list[str]:
        """The options a one-BSID run still lacks."""
        named = {
            "--data": self.data_dir,
            "--bsid": self.bsids or None,
            "--period (or run: period in --config)": self.kind,
            "--year": self.school_year,
        }
        missing = [name for name, value in named.items() if value is None]
        if self.pae_dir is None and not self.no_pae:
            missing.append("--pae (or --no-pae)")
        return missing

    def chosen_private(self) -> bool | None:
        """True/False when the command line chose the submission type, None when it did not."""
        if self.private or self.submission_type == "private":
            return True
        return False if self.submission_type == "public" else None

    def request(self) -> PlanRequest:
        """The library's request, over the configuration file; its notes go to stderr."""
        from onsis_batch.period.clear_flags import ClearChoice
        from onsis_batch.period.config import CommandLine
        from onsis_batch.run.request import build_request

        assert self.data_dir is not None and self.kind and self.school_year  # checked before
        clear = ClearChoice(self.reupload, self.clear, self.no_clear)
        if clear.conflicts():
            raise click.UsageError(
                "; ".join(clear.conflicts()) + " (--reupload, --clear, --no-clear)"
            )
        request, notes = build_request(
            self.data_dir,
            None if self.no_pae else self.pae_dir,
            kind=self.kind,
            school_year=self.school_year,
            bsids=self.bsids,
            given=CommandLine(self.chosen_private(), self.co_teacher_roles, self.core_flag, clear),
            config_file=self.config_file,
            table_map=self.table_map,
            overrides_file=self.overrides_file,
            allow_unknown_columns=self.allow_unknown_columns,
        )
        for note in notes:
            click.echo(str(note), err=True)
        return request


def configured_period(config_file: Path | None) -> str | None:
    """The period the configuration file sets (`run: period`), if any; its findings are
    shown when the request reads it again."""
    if config_file is None:
        return None
    from onsis_batch.run.request import read_config

    config, _ = read_config(config_file)
    return config.period if config is not None else None


_NAMES = frozenset(f.name for f in fields(PlanOptions)) | {"bsid"}


def plan_options(*, board: bool = False, upload: bool = False) -> Decorator:
    """The planning options, handed to the command as one `plan` argument.

    A board names any number of BSIDs (`--bsid`, repeatable) and needs --data, --period
    and --year; one-BSID commands also take --overrides and --sample. `upload`: the
    commands that write batch files also take the CLEAR_* flag options.
    """
    declared = options(
        data_options(required=board),
        pae_options,
        _bsid_option(board),
        period_options(required=board),
        submission_options,
        config_option,
        allow_unknown_columns_option,
        *(() if board else (overrides_option, sample_option)),
        *((clear_options,) if upload else ()),
    )

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_plan(**given: Any) -> Any:
            values = {name: given.pop(name) for name in _NAMES & set(given)}
            bsid = values.pop("bsid")
            values["bsids"] = tuple(bsid) if board else (bsid,) if bsid is not None else ()
            return command(plan=PlanOptions(**values), **given)

        return declared(with_plan)

    return decorate


def _bsid_option(board: bool) -> Decorator:
    """`--bsid`: the one BSID to plan, or (board) the BSIDs to generate."""
    if board:
        return click.option(
            "--bsid",
            multiple=True,
            help="Generate only this BSID (repeatable); default: every BSID with a reporting "
            "school.",
        )
    return click.option("--bsid", help="Ministry school number (BSID) to report.")
