"""The check mode for batch files we did not write (`onsis-batch validate --ministry`).

A file a vendor's SIS wrote is checked against what the Ministry's format allows rather
than against what we write: the relaxed schema (`validate.ministry_xsd`), then the checks
that read the file alone: required, mandatory and repeated elements, code tables against
the period's dates, dates that exist and in order (`validate.ministry_checks`), and the
business rules of `validate.rules` run on the file's rows read as a plan (FTE ranges,
dates against the period, course and credit rules, ...), each finding placed at its line
and element path. What the file alone cannot tell (what OnSIS holds, the board's own
count date, an OEN's check digit) is not checked: see D745 and D746.

Findings never quote a personal value, and show every OEN of the file by its last three
digits, unless `show_pii`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from lxml import etree

from onsis_batch.findings import Finding, catalog, finding, has_errors
from onsis_batch.period.periods import SubmissionPeriod
from onsis_batch.specs import load_envelope, load_specs
from onsis_batch.validate.batch_file import hardened_parser, validate_file
from onsis_batch.validate.ministry_checks import HIDDEN, Scope, row_checks
from onsis_batch.validate.ministry_xsd import ministry_schema_path
from onsis_batch.validate.relaxations import relaxations
from onsis_batch.validate.rules import run_checks
from onsis_batch.validate.xml_plan import rows_plan
from onsis_batch.validate.xml_rows import FileRows, Row, read_rows

SHOWN_DIGITS = 3
_QUOTED = re.compile(r"'([^']*)'")


@dataclass(frozen=True)
class MinistryCheck:
    """The outcome of checking one file: its findings and what was checked."""

    file: str
    findings: list[Finding]
    period: str | None  # e.g. "2025-2026 OCTSEC1", when the file says
    rows: int  # segments read (0 when the file could not be read)

    @property
    def valid(self) -> bool:
        """Whether no finding is an error."""
        return not has_errors(self.findings)


def check_ministry_file(
    path: Path, *, private: bool = False, show_pii: bool = False
) -> MinistryCheck:
    """Check a batch file as the Ministry's format allows (see the module doc)."""
    name = str(path)
    findings = validate_file(path, ministry_schema_path())
    if any(f.code == "XSD002" for f in findings) or _is_doctype(findings):
        return MinistryCheck(name, findings, None, 0)
    tree = etree.parse(name, hardened_parser())
    rows = read_rows(tree)
    year, code = _period_texts(rows)
    period = _period(rows, year, code, private)
    scope = Scope(name, period.school_year if period else "", private, _window(period))
    found = [_without_personal_values(f, tree) for f in findings] + row_checks(rows, scope)
    if period is None:
        found.append(_unknown_period(name, rows, year, code))
    else:
        found += _rule_findings(rows, period, name)
    if not show_pii:
        found = _masked(found, _oens(rows))
    return MinistryCheck(
        name, found, f"{year} {code}" if year else None, sum(1 for _ in rows.all())
    )


def _is_doctype(findings: list[Finding]) -> bool:
    return any(f.code == "XSD001" and "DOCTYPE" in f.message_en for f in findings)


def _period_texts(rows: FileRows) -> tuple[str, str]:
    submission = rows.first("SCHOOL_SUBMISSION")
    values = submission.values if submission else {}
    return values.get("ACADEMIC_YEAR") or "", values.get("SUBMISSION_PERIOD_TYPE") or ""


def _period(rows: FileRows, year: str, code: str, private: bool) -> SubmissionPeriod | None:
    window = relaxations().periods.get(code)
    if window is None or not re.fullmatch(r"\d{4}-\d{4}", year):
        return None
    if int(year[5:]) != int(year[:4]) + 1:
        return None
    start, end = window.dates(year)
    school = rows.first("SCHOOL")
    bsid = (school.values.get("SCHOOL_NUMBER") if school else None) or ""
    return SubmissionPeriod(
        kind=window.kind,
        code=code,
        description="",
        school_year=year,
        start=start,
        count_date=end,
        bsid=bsid,
        school_ids=(),
        private=private,
    )


def _window(period: SubmissionPeriod | None) -> tuple[date, date] | None:
    return (period.start, period.count_date) if period else None


def _unknown_period(name: str, rows: FileRows, year: str, code: str) -> Finding:
    submission = rows.first("SCHOOL_SUBMISSION")
    return finding(
        "MIN008",
        file=name,
        line=submission.line if submission else None,
        xpath=submission.path if submission else None,
        year=year or "-",
        period=code or "-",
        known=", ".join(relaxations().periods),
    )


def _rule_findings(rows: FileRows, period: SubmissionPeriod, name: str) -> list[Finding]:
    """The business rules of validate.rules on the file's rows, placed in the file."""
    plan = rows_plan(rows, period)
    placed = []
    for item in run_checks(plan, leave_out=relaxations().rules_left_out):
        row = rows.find(item.segment, item.key) or _row_by_value(rows, item)
        if row is None:
            placed.append(replace(item, file=name))
            continue
        element = _element_read(item, row)
        path = row.element_path(element) if element else row.path
        line = row.lines.get(element, row.line) if element else row.line
        placed.append(replace(item, file=name, line=line, xpath=path))
    return placed


def _row_by_value(rows: FileRows, item: Finding) -> Row | None:
    """The first row a finding keyed by a value names (RUL010 an OEN, RUL012 a class code)."""
    spec = load_specs().get(item.segment or "")
    if spec is None or len(spec.key) != 1:
        return None
    return rows.find(item.segment, f"{spec.key[0]}={item.key}")


def _element_read(item: Finding, row: Row) -> str | None:
    """The element a rule finding is about: its `element` parameter, else the first
    element its catalog entry reads, when the row has it."""
    if "element" in item.params:
        return str(item.params["element"])
    reads = catalog()[item.code].reads
    return reads[0] if reads and reads[0] in row.values else None


def _without_personal_values(item: Finding, tree: etree._ElementTree) -> Finding:
    """A schema finding with any personal value of its element hidden."""
    if not item.xpath:
        return item
    nodes = tree.xpath(item.xpath)
    if not isinstance(nodes, list) or not nodes or not isinstance(nodes[0], etree._Element):
        return item
    node = nodes[0]
    if str(node.tag) not in _personal_elements():
        return item
    shown = HIDDEN if str(node.tag) != "OEN" else _mask((node.text or "").strip())

    def hide(text: str) -> str:
        value = (node.text or "").strip()
        return _QUOTED.sub(
            lambda m: f"'{shown}'" if m.group(1).strip() == value else m.group(0), text
        )

    params = {k: hide(str(v)) for k, v in item.params.items()}
    return replace(
        item, message_en=hide(item.message_en), message_fr=hide(item.message_fr), params=params
    )


def _personal_elements() -> set[str]:
    """Element names whose values are personal in some segment, and OEN."""
    specs = load_specs().values()
    names = {e.name for s in specs for e in s.elements if e.personal or e.type == "oen"}
    return names | {e.name for e in load_envelope().header if e.personal}


def _mask(oen: str) -> str:
    return "*" * max(len(oen) - SHOWN_DIGITS, 0) + oen[-SHOWN_DIGITS:]


def _oens(rows: FileRows) -> set[str]:
    """Every OEN the file holds (students without one are sent 000000000)."""
    found = {r.values.get("OEN") or "" for r in rows.rows.get("STUDENT", [])}
    return {oen for oen in found if len(oen) > SHOWN_DIGITS and oen != "000000000"}


def _masked(findings: list[Finding], oens: set[str]) -> list[Finding]:
    """The findings with every OEN of the file shown by its last three digits."""
    if not oens:
        return findings
    pattern = re.compile(
        r"(?<!\d)(" + "|".join(sorted(map(re.escape, oens), key=len, reverse=True)) + r")(?!\d)"
    )

    def mask(text: str | None) -> str | None:
        return pattern.sub(lambda m: _mask(m.group(1)), text) if text else text

    return [
        replace(
            f,
            message_en=mask(f.message_en) or "",
            message_fr=mask(f.message_fr) or "",
            key=mask(f.key),
            xpath=f.xpath,
            params={k: mask(str(v)) for k, v in f.params.items()},
        )
        for f in findings
    ]
