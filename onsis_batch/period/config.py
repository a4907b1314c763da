"""The board configuration file: settings a board keeps in one YAML file (`--config`).

The file's shape is data (`config_schema.yaml`); `load_config` checks a file against it and
returns a `BoardConfig` with every finding (file, key path, problem). Precedence (D310):
command-line options win over the file, the file wins over the `board_settings` table, and
the table over the defaults of `periods.yaml`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.contract import contract
from onsis_batch.findings import Finding, finding
from onsis_batch.period.clear_flags import ClearChoice, flag_name, flags_set, short_names
from onsis_batch.period.options import RunOptions
from onsis_batch.period.periods import parse_school_year
from onsis_batch.resources import package_file
from onsis_batch.strict_yaml import ANY_KEY, Shape, YamlError, read_yaml

OUTPUT_FIELDS = ("period", "count_date", "bsid", "school_year")
_SHORT_KEYS = {"period_start": "start", "period_code": "code"}
YEAR_COLUMNS = ("oct_period_start", "oct_count_date", "mar_count_date", "jun_count_date")


@dataclass(frozen=True)
class BoardConfig:
    """A loaded configuration; None (or empty) wherever the file says nothing."""

    source: str | None = None
    board_columns: dict[str, Any] = field(default_factory=dict)  # board_settings values
    year_columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # per school year
    submission_type: str | None = None
    co_teacher_roles: tuple[str, ...] | None = None
    report_core_flag: bool | None = None
    tables: dict[str, str] = field(default_factory=dict)  # contract table -> source table
    output_name: str | None = None
    clear: ClearChoice = field(default_factory=ClearChoice)  # the file's `upload:` section
    period: str | None = None  # run: period, used when --period is not given
    allow_unknown_columns: bool | None = None  # run: allow_unknown_columns
    code_mappings: dict[str, str] = field(default_factory=dict)  # shipped mapping per kind

    def settings_rows(self) -> tuple[dict[str, Any], ...]:
        """The board_settings values this file supplies, one row per school year it names.

        Board-wide values go in a row for the wildcard year "*" (see `overlay_settings`).
        """
        rows = [{"school_year": "*", **self.board_columns}] if self.board_columns else []
        rows += [{"school_year": y, **v} for y, v in sorted(self.year_columns.items())]
        return tuple(rows)


_NODE_KEYS: dict[str, Shape] = dict.fromkeys(
    ("type", "key_kind", "choices", "pattern", "column", "doc")
)
_NODE_KEYS |= {"keys": {ANY_KEY: _NODE_KEYS}, "values": _NODE_KEYS, "items": _NODE_KEYS}


@cache
def config_schema() -> dict[str, Any]:
    """The shape of a configuration file (`config_schema.yaml`), one node per key."""
    loaded: dict[str, Any] = read_yaml(package_file("period", "config_schema.yaml"), _NODE_KEYS)
    return loaded


def load_config(path: Path) -> tuple[BoardConfig, list[Finding]]:
    """Read and check a configuration file; the config holds only the values that passed."""
    file = str(path)
    try:
        raw = read_yaml(path, name=file)  # dates stay text: a bad one is CFG004 with its key
    except YamlError as problem:
        unread = finding("CFG001", file=file, line=problem.line, problem=problem.detail)
        return BoardConfig(source=file), [unread]
    if raw is None:
        raw = {}
    checker = _Checker(file)
    value = checker.check(raw, config_schema(), "")
    if checker.findings and not isinstance(value, dict):
        return BoardConfig(source=file), checker.findings
    config = _build(file, value or {}, checker.columns)
    upload = (value or {}).get("upload") or {}
    return config, checker.findings + _semantic_findings(config, upload)


def _build(file: str, value: dict[str, Any], columns: dict[str, dict[str, Any]]) -> BoardConfig:
    board = value.get("board") or {}
    roles = board.get("co_teacher_roles")
    return BoardConfig(
        source=file,
        board_columns=columns.pop("*", {}),
        year_columns=columns,
        submission_type=board.get("submission_type"),
        co_teacher_roles=tuple(roles) if roles is not None else None,
        report_core_flag=board.get("report_core_flag"),
        tables=dict(value.get("tables") or {}),
        output_name=(value.get("output") or {}).get("name"),
        clear=_clear_choice(value.get("upload") or {}),
        period=(value.get("run") or {}).get("period"),
        allow_unknown_columns=(value.get("run") or {}).get("allow_unknown_columns"),
        code_mappings=dict(value.get("code_mappings") or {}),
    )


def _clear_choice(upload: dict[str, Any]) -> ClearChoice:
    """The file's CLEAR_* choice, names in full; unknown names are left to CFG009."""

    def names(key: str) -> tuple[str, ...]:
        return tuple(n for n in map(flag_name, upload.get(key) or ()) if n is not None)

    return ClearChoice(bool(upload.get("reupload")), names("clear"), names("no_clear"))


class _Checker:
    """Walks a parsed file along the schema; collects findings and board_settings columns."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.columns: dict[str, dict[str, Any]] = {}
        self.year = "*"  # the school year whose section is being read

    def problem(self, code: str, path: str, **params: Any) -> None:
        self.findings.append(finding(code, file=self.file, key=path or "(top)", **params))

    def check(self, value: Any, node: dict[str, Any], path: str) -> Any:
        """The value when it fits the node, else None (after recording why)."""
        kind = node["type"]
        checked = getattr(self, f"_{kind}")(value, node, path)
        if checked is None:
            return None
        if "choices" in node and checked not in node["choices"]:
            expected = "one of " + ", ".join(str(c) for c in node["choices"])
            self.problem("CFG005", path, value=value, expected=expected)
            return None
        if "pattern" in node and not re.fullmatch(node["pattern"], checked):
            self.problem("CFG005", path, value=value, expected=f"text like {node['pattern']}")
            return None
        if "column" in node:
            self.columns.setdefault(self.year, {})[node["column"]] = checked
        return checked

    def _wrong(self, value: Any, path: str, expected: str) -> None:
        """CFG003 for a value of the wrong kind."""
        self.problem("CFG003", path, expected=expected, got=type(value).__name__)

    def _bool(self, value: Any, _node: dict[str, Any], path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self._wrong(value, path, "true or false")
        return None

    def _int(self, value: Any, _node: dict[str, Any], path: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self._wrong(value, path, "a whole number")
        return None

    def _str(self, value: Any, _node: dict[str, Any], path: str) -> str | None:
        if isinstance(value, str):
            return value
        self._wrong(value, path, "text")
        return None

    def _date(self, value: Any, _node: dict[str, Any], path: str) -> date | None:
        if not isinstance(value, str):
            self._wrong(value, path, "a date YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value.replace("/", "-"))
        except ValueError:
            self.problem("CFG004", path, value=value)
            return None

    def _list(self, value: Any, node: dict[str, Any], path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self._wrong(value, path, "a list")
            return None
        items = [self.check(v, node["items"], f"{path}[{i}]") for i, v in enumerate(value)]
        return [v for v in items if v is not None]

    def _mapping(self, value: Any, node: dict[str, Any], path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self._wrong(value, path, "a mapping of keys to values")
            return None
        if "key_kind" in node:
            return self._open_mapping(value, node, path)
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in node["keys"]:
                self.problem("CFG002", where, allowed=", ".join(node["keys"]))
                continue
            checked = self.check(item, node["keys"][key], where)
            if checked is not None:
                out[key] = checked
        return out

    def _open_mapping(
        self, value: dict[Any, Any], node: dict[str, Any], path: str
    ) -> dict[str, Any]:
        """A mapping whose keys the board chooses: school years or contract table names."""
        out = {}
        for key, item in value.items():
            where = f"{path}.{key}"
            name = _key_name(node["key_kind"], key)
            if name is None:
                self._bad_key(node["key_kind"], key, where)
                continue
            self.year = name if node["key_kind"] == "school_year" else "*"
            checked = self.check(item, node["values"], where)
            self.year = "*"
            if checked is not None:
                out[name] = checked
        return out

    def _bad_key(self, kind: str, key: Any, where: str) -> None:
        if kind == "school_year":
            self.problem("CFG005", where, value=key, expected="a school year like 2025-2026")
        else:
            self.problem("CFG002", where, allowed="the tables of the data contract")


def _key_name(kind: str, key: Any) -> str | None:
    """The canonical key (school year 'YYYY-YYYY' or contract table), None when not one."""
    if kind == "school_year":
        try:
            return parse_school_year(str(key))
        except ValueError:
            return None
    return key if isinstance(key, str) and key in contract() else None


def _upload_findings(file: str | None, upload: dict[str, Any]) -> list[Finding]:
    """CFG009 for a name that is no CLEAR_* flag; CFG010 when the section contradicts itself."""
    found = [
        finding(
            "CFG009",
            file=file,
            key=f"upload.{key}[{i}]",
            value=text,
            known=", ".join(short_names()),
        )
        for key in ("clear", "no_clear")
        for i, text in enumerate(upload.get(key) or ())
        if flag_name(text) is None
    ]
    found += [
        finding("CFG010", file=file, key="upload", problem=problem)
        for problem in _clear_choice(upload).conflicts()
    ]
    return found


def _semantic_findings(config: BoardConfig, upload: dict[str, Any]) -> list[Finding]:
    """Checks across values: dates in order and inside their school year, the output name."""
    found = [f for y, cols in config.year_columns.items() for f in _year_findings(config, y, cols)]
    found += _upload_findings(config.source, upload)
    if config.output_name is not None:
        problem = output_name_problem(config.output_name)
        if problem:
            found.append(finding("CFG006", file=config.source, key="output.name", problem=problem))
    return found


def _year_findings(config: BoardConfig, year: str, cols: dict[str, Any]) -> list[Finding]:
    first = int(year[:4])
    opens, closes = date(first, 7, 1), date(first + 1, 6, 30)
    found = []
    where = f"school_years.{year}"
    for column, value in cols.items():
        if isinstance(value, date) and not opens <= value <= closes:
            found.append(
                finding(
                    "CFG008",
                    file=config.source,
                    key=f"{where}.{_key_path(column)}",
                    value=value.isoformat(),
                    school_year=year,
                )
            )
    dated = [(c, cols[c]) for c in YEAR_COLUMNS if cols.get(c) is not None]
    for (before, early), (after, late) in pairwise(dated):
        if early >= late:
            found.append(
                finding(
                    "CFG007",
                    file=config.source,
                    key=f"{where}.{_key_path(after)}",
                    first=f"{where}.{_key_path(before)}",
                    first_value=early.isoformat(),
                    value=late.isoformat(),
                )
            )
    return found


def _key_path(column: str) -> str:
    """`oct_count_date` -> `oct.count_date`, `oct_period_start` -> `oct.start`."""
    kind, _, rest = column.partition("_")
    if kind not in ("oct", "mar", "jun"):
        return column
    return f"{kind}.{_SHORT_KEYS.get(rest, rest)}"


def output_name_problem(pattern: str) -> str | None:
    """Why a batch file name pattern cannot be used, or None when it can."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as problem:
        return f"braces do not pair up ({problem})"
    for _text, name, spec, conversion in parts:
        if name is not None and name not in OUTPUT_FIELDS:
            return f"{{{name}}} is not one of " + ", ".join(f"{{{f}}}" for f in OUTPUT_FIELDS)
        if spec or conversion:
            return f"{{{name}}} takes no format"
    names = {name for _t, name, _s, _c in parts if name}
    if "bsid" not in names:
        return "it must contain {bsid}, so the files of a board's BSIDs differ"
    if "/" in pattern or "\\" in pattern:
        return "it must be a file name, without folders"
    if not (pattern.startswith("ONSIS_") and pattern.endswith(".xml")):
        return "it must start with ONSIS_ and end with .xml (purge and --keep find files so)"
    return None


def overlay_settings(
    board_settings: pl.DataFrame, rows: tuple[dict[str, Any], ...]
) -> pl.DataFrame:
    """board_settings with a config's values over the table's (rows from `settings_rows`).

    Board-wide values (year "*") apply to every school year; a school year the table lacks
    gets a row of its own.
    """
    if not rows:
        return board_settings
    board = next((r for r in rows if r["school_year"] == "*"), {})
    by_year = {r["school_year"]: r for r in rows if r["school_year"] != "*"}
    years = sorted(set(board_settings.get_column("school_year").to_list()) | set(by_year))
    merged = [{**board, **by_year.get(y, {}), "school_year": y} for y in years]
    names = ["school_year", *sorted({k for r in merged for k in r} - {"school_year"})]
    overlay = pl.DataFrame(
        [{n: r.get(n) for n in names} for r in merged],
        schema={n: board_settings.schema[n] for n in names},
        orient="row",
    )
    return board_settings.update(overlay, on="school_year", how="full").sort("school_year")


@dataclass(frozen=True)
class CommandLine:
    """What the command line said about the settings a config can also give (None: silent)."""

    private: bool | None = None  # --private / --submission-type
    co_teacher_roles: tuple[str, ...] = ()
    report_core_flag: bool = False
    clear: ClearChoice = field(default_factory=ClearChoice)  # --reupload, --clear, --no-clear


def run_settings(config: BoardConfig | None, given: CommandLine) -> tuple[bool, RunOptions]:
    """(private, run options) with the command line over the config file (D310)."""
    config = config or BoardConfig()
    private = given.private
    if private is None:
        private = config.submission_type == "private"
    roles = given.co_teacher_roles or config.co_teacher_roles or ()
    clear = given.clear.values(config.clear.values())
    options = RunOptions(
        co_teacher_roles=tuple(roles),
        report_core_flag=given.report_core_flag or bool(config.report_core_flag),
        board_settings=config.settings_rows(),
        output_name=config.output_name,
        clear_flags=tuple(clear.items()),
        reupload=(given.clear.reupload or config.clear.reupload) and not flags_set(clear),
    )
    return private, options
