"""Overrides: registrar decisions applied to the plan after every rule has run.

An overrides file (YAML) lists entries keyed by segment and natural key path (as `diff`
and `results` show it). Each entry sets elements and/or forces the ACTION, and carries
who decided it, why, and until when:

    overrides:
      - segment: STUDENT_SCHOOL_ENROLMENT
        key: "OEN=123456789 / STUDENT_SCHOOL_ENROLMENT"
        set: {ATTENDANCE_TYPE: PT}
        action: UPDATE
        reason: "Timetable change approved by the principal"
        author: "J. Registrar"
        expires: 2025-11-30

An applied override changes the row, sets its rule id to OVERRIDE and is reported (OVR004)
and recorded in the run manifest. An expired entry (OVR001) or one that matches no row
(OVR002) is reported and not applied. One forcing an ACTION the segment's spec does not
allow (OVR006) stops the run, as the engine refuses such a row from a builder; so does a
malformed entry (OVR003) or file (OVR008): an override never fills in data silently, and
an element it empties is still checked as mandatory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from onsis_batch.findings import Finding, finding
from onsis_batch.plan.keys import as_text, natural_keys
from onsis_batch.plan.model import Plan
from onsis_batch.specs import ACTIONS, load_specs
from onsis_batch.strict_yaml import YamlError, read_yaml

ENTRY_KEYS = {"segment", "key", "set", "action", "reason", "author", "expires"}
REQUIRED = ("segment", "key", "reason", "author", "expires")
RULE_ID = "OVERRIDE"


@dataclass(frozen=True)
class Override:
    """One entry of an overrides file: what to change on which row, who decided, why."""

    number: int  # position in the file, from 1
    segment: str
    key: str
    reason: str
    author: str
    expires: date
    set: dict[str, Any] = field(default_factory=dict)
    action: str | None = None

    @property
    def match_key(self) -> str:
        """The key path as rows are matched on it (normal_key)."""
        return normal_key(self.key)


@dataclass(frozen=True)
class OverrideSet:
    """The entries of one overrides file, and the findings met reading it."""

    path: Path
    entries: list[Override]
    findings: list[Finding]

    @classmethod
    def load(cls, path: Path) -> OverrideSet:
        """The entries of the file at `path`, with the findings met reading it."""
        entries, findings = load_overrides(path)
        return cls(path, entries, findings)

    def apply(self, plan: Plan, today: date) -> tuple[Plan, list[dict[str, Any]], list[Finding]]:
        """The plan with the live entries applied (see `apply_overrides`)."""
        plan, applied, findings = apply_overrides(
            plan, self.entries, today=today, path=str(self.path)
        )
        return plan, applied, [*self.findings, *findings]


def normal_key(key: str) -> str:
    """Key paths compare upper-case with single spaces, as the tools write them."""
    return " ".join(key.split()).upper()


def load_overrides(path: Path) -> tuple[list[Override], list[Finding]]:
    """The entries of an overrides file; OVR003 for each bad entry, OVR008 for a file without
    the one top-level `overrides:` list (nothing is guessed)."""
    try:
        raw = read_yaml(path, name=str(path))
    except YamlError as problem:
        return [], [finding("OVR007", file=str(path), line=problem.line, reason=problem.detail)]
    if (
        not isinstance(raw, dict)
        or set(raw) != {"overrides"}
        or not isinstance(raw["overrides"], list)
    ):
        return [], [finding("OVR008", file=str(path))]  # the file, not an entry, is wrong
    entries, findings = [], []
    for number, item in enumerate(raw["overrides"], start=1):
        entry, trouble = _entry(number, item)
        if trouble:
            findings.append(_bad(path, number, trouble))
        elif entry is not None:
            entries.append(entry)
    return entries, findings


def _bad(path: Path, number: int | None, reason: str) -> Finding:
    return finding("OVR003", file=str(path), row=number, reason=reason)


def _entry(number: int, item: Any) -> tuple[Override | None, str | None]:
    if not isinstance(item, dict):
        return None, "an entry must be a mapping"
    unknown = sorted(set(item) - ENTRY_KEYS)
    missing = [k for k in REQUIRED if item.get(k) in (None, "")]
    if unknown or missing:
        return None, "; ".join(
            [f"unknown key(s) {', '.join(unknown)}"] * bool(unknown)
            + [f"missing {', '.join(missing)}"] * bool(missing)
        )
    spec = load_specs().get(str(item["segment"]))
    if spec is None:
        return None, f"no segment {item['segment']}"
    values = item.get("set") or {}
    action = item.get("action")
    if not isinstance(values, dict) or (not values and action is None):
        return None, "`set` must map elements to values, or `action` must be given"
    names = {e.name for e in spec.elements}
    unknown_elements = sorted(str(k) for k in values if k not in names or k == "ACTION")
    if unknown_elements:
        return None, f"{spec.segment} has no element {', '.join(unknown_elements)} to set"
    if action is not None and (not spec.has_action or action not in ACTIONS):
        return None, f"action must be one of {', '.join(ACTIONS)} on a segment with ACTION"
    expires = item["expires"]
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            return None, f"expires {expires!r} is not a date (YYYY-MM-DD)"
    if not isinstance(expires, date):
        return None, "expires must be a date (YYYY-MM-DD)"
    return (
        Override(
            number=number,
            segment=spec.segment,
            key=str(item["key"]),
            reason=str(item["reason"]),
            author=str(item["author"]),
            expires=expires if not isinstance(expires, datetime) else expires.date(),
            set=dict(values),
            action=action,
        ),
        None,
    )


def _typed(value: Any, dtype: pl.DataType) -> Any:
    """A YAML value as the plan column's type; ValueError when it does not fit."""
    if value is None or value == "":
        return None
    if dtype == pl.Date:
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).replace("/", "-"))
    if dtype == pl.Boolean:
        if isinstance(value, bool):
            return value
        flags = {"T": True, "F": False}
        if str(value).upper() not in flags:
            raise ValueError(f"{value!r} is not T or F")
        return flags[str(value).upper()]
    if dtype.is_float():
        return float(value)
    if dtype.is_integer():
        return int(value)
    return str(value)


def apply_overrides(
    plan: Plan, overrides: list[Override], *, today: date, path: str = "overrides"
) -> tuple[Plan, list[dict[str, Any]], list[Finding]]:
    """The plan with the live overrides applied, what was applied, and the findings."""
    live, findings = [], []
    for entry in overrides:
        if entry.expires < today:
            findings.append(_finding("OVR001", entry, path, expires=entry.expires.isoformat()))
        else:
            live.append(entry)
    if not live:
        return plan, [], findings
    keys = natural_keys(plan)
    segments = dict(plan.segments)
    applied: list[dict[str, Any]] = []
    for entry in live:
        frame = segments.get(entry.segment)
        ids = (
            keys[entry.segment]
            .filter(_normal_keys(pl.col("_key")) == entry.match_key)
            .get_column("_id")
            if frame is not None
            else pl.Series([], dtype=pl.String)
        )
        if ids.is_empty():
            findings.append(_finding("OVR002", entry, path))
            continue
        allowed = load_specs()[entry.segment].actions
        if entry.action is not None and entry.action not in allowed:
            findings.append(
                _finding("OVR006", entry, path, action=entry.action, allowed=", ".join(allowed))
            )
            continue
        if ids.len() > 1:  # e.g. students without an OEN share OEN=000000000
            findings.append(_finding("OVR005", entry, path, rows=ids.len()))
            continue
        assert frame is not None
        try:
            segments[entry.segment], record = _apply(frame, entry, ids)
        except ValueError as problem:
            findings.append(_bad(Path(path), entry.number, str(problem)))
            continue
        applied.append(record)
        findings.append(_finding("OVR004", entry, path, changes=_describe(record)))
    return Plan(plan.period, segments, plan.not_sent), applied, findings


def _normal_keys(keys: pl.Expr) -> pl.Expr:
    """`normal_key` as an expression."""
    return keys.str.replace_all(r"\s+", " ").str.strip_chars().str.to_uppercase()


def _apply(
    frame: pl.DataFrame, entry: Override, ids: pl.Series
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The frame with the entry applied to the rows `ids`, and the record of what changed."""
    hit = pl.col("_id").is_in(ids.implode())
    spec = load_specs()[entry.segment]
    before = frame.filter(hit).row(0, named=True)
    changes, columns = [], []
    for name, value in entry.set.items():
        dtype = frame.schema.get(name, pl.String())
        typed = _typed(value, dtype)
        current = pl.col(name) if name in frame.columns else pl.lit(None, dtype)
        columns.append(pl.when(hit).then(pl.lit(typed, dtype)).otherwise(current).alias(name))
        old = frame.filter(hit).select(as_text(name, dtype)).item() if name in frame else None
        masked = spec.element(name).personal
        changes.append(
            {
                "element": name,
                "old": "(personal)" if masked else old,
                "new": "(personal)" if masked else _text(typed),
            }
        )
    if entry.action is not None:
        changes.append({"element": "ACTION", "old": before["_action"], "new": entry.action})
        columns.append(_when(hit, pl.lit(entry.action), "_action"))
        if entry.action == "DELETE":  # a DELETE carries its key elements only
            columns += [
                _when(hit, pl.lit(None, frame.schema[e.name]), e.name)
                for e in spec.elements
                if e.name in frame.columns and not e.key and e.name not in entry.set
            ]
    columns.append(_when(hit, pl.lit(RULE_ID), "_reason"))
    record = {
        "segment": entry.segment,
        "key": entry.key,
        "changes": changes,
        "reason": entry.reason,
        "author": entry.author,
        "expires": entry.expires.isoformat(),
        "entry": entry.number,
    }
    return frame.with_columns(columns), record


def _when(hit: pl.Expr, value: pl.Expr, name: str) -> pl.Expr:
    return pl.when(hit).then(value).otherwise(pl.col(name)).alias(name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    return str(value)


def _describe(record: dict[str, Any]) -> str:
    return "; ".join(f"{c['element']} {c['old']} → {c['new']}" for c in record["changes"])


def _finding(code: str, entry: Override, path: str, **params: Any) -> Finding:
    return finding(
        code,
        file=path,
        row=entry.number,
        segment=entry.segment,
        key=entry.key,
        reason=entry.reason,
        author=entry.author,
        **params,
    )
