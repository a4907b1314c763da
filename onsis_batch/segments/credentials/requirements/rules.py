"""The diploma requirement tables (`requirements.yaml`), loaded and checked.

A cohort is the set of students one version of the OSSD applies to; each has an ordered
list of compulsory requirements (most specific first) and limits on how many credits of a
kind may count toward some of them. Course families turn into polars expressions over a
frame with a `code` column (the 5-character ministry code) and a boolean `coop` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import polars as pl

from onsis_batch.resources import package_file
from onsis_batch.specs import SpecError
from onsis_batch.strict_yaml import ANY_KEY, Shape, read_yaml

# Ministry codes that stand for PLAR and equivalent credit rather than a course.
PLAR_CODES = ("PLE99", "QEV1W", "QEE99", "QMA99", "QAP99", "QSE99")


@dataclass(frozen=True)
class Requirement:
    """A diploma requirement: credits needed and the course families that count."""

    name: str
    credits: float
    families: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limit:
    """A cap on the credits some families may count toward some requirements."""

    name: str
    credits: float
    families: tuple[str, ...]
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Cohort:
    """The requirements of the students who entered secondary school from a date."""

    name: str
    description: str
    entered_from: date | None
    requirements: tuple[Requirement, ...]
    limits: tuple[Limit, ...] = ()

    def requirement(self, name: str) -> Requirement:
        """The requirement called `name`; KeyError when the cohort has none."""
        for requirement in self.requirements:
            if requirement.name == name:
                return requirement
        raise KeyError(name)

    def names(self) -> dict[str, str]:
        """Every name and alias a stored grade may use (upper case) -> canonical name."""
        rules = requirement_rules()
        names = {a.upper(): rules.optional for a in (rules.optional, *rules.optional_aliases)}
        for requirement in self.requirements:
            for alias in (requirement.name, *requirement.aliases):
                names[alias.upper()] = requirement.name
        return names


@dataclass(frozen=True)
class Rules:
    """The diploma requirement tables: the optional name, the families, the cohorts."""

    optional: str
    optional_aliases: tuple[str, ...]
    families: dict[str, tuple[dict[str, Any], ...]]
    cohorts: tuple[Cohort, ...]  # in order of entered_from, the first without one

    def cohort(self, name: str) -> Cohort:
        """The cohort called `name`; KeyError when there is none."""
        for cohort in self.cohorts:
            if cohort.name == name:
                return cohort
        raise KeyError(name)


_RULE_KEYS = {"prefix", "grades", "exclude", "coop"}


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _family(name: str, raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"requirements.yaml families.{name}: must be a non-empty list of rules")
    rules = []
    for i, rule in enumerate(raw):
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise SpecError(f"requirements.yaml families.{name}[{i}]: unknown key(s) {unknown}")
        rules.append(
            {
                "prefix": tuple(str(p).upper() for p in _as_tuple(rule.get("prefix"))),
                "grades": tuple(str(g) for g in _as_tuple(rule.get("grades"))),
                "exclude": tuple(str(p).upper() for p in _as_tuple(rule.get("exclude"))),
                "coop": bool(rule.get("coop", False)),
            }
        )
    return tuple(rules)


def _cohort(raw: dict[str, Any], families: dict[str, Any]) -> Cohort:
    where = f"requirements.yaml cohort {raw.get('name')}"
    requirements = []
    for item in raw["requirements"]:
        missing = [f for f in item["courses"] if f not in families]
        if missing:
            raise SpecError(f"{where}: requirement {item['name']} names unknown families {missing}")
        requirements.append(
            Requirement(
                name=item["name"],
                credits=float(item["credits"]),
                families=tuple(item["courses"]),
                aliases=tuple(str(a) for a in item.get("aliases", ())),
            )
        )
    names = {r.name for r in requirements}
    limits = []
    for item in raw.get("limits", ()):
        if not set(item["requirements"]) <= names or not set(item["courses"]) <= set(families):
            raise SpecError(f"{where}: limit {item['name']} names unknown requirements or families")
        limits.append(
            Limit(
                name=item["name"],
                credits=float(item["credits"]),
                families=tuple(item["courses"]),
                requirements=tuple(item["requirements"]),
            )
        )
    return Cohort(
        name=raw["name"],
        description=raw.get("description", ""),
        entered_from=date.fromisoformat(raw["entered_from"]) if raw.get("entered_from") else None,
        requirements=tuple(requirements),
        limits=tuple(limits),
    )


_FILE_KEYS: Shape = {
    "optional": {"name": None, "aliases": None},
    "families": {ANY_KEY: [dict.fromkeys(_RULE_KEYS)]},
    "cohorts": [
        dict.fromkeys(("name", "description", "entered_from"))
        | {"requirements": [dict.fromkeys(("name", "credits", "courses", "aliases"))]}
        | {"limits": [dict.fromkeys(("name", "credits", "courses", "requirements"))]}
    ],
}


@cache
def requirement_rules() -> Rules:
    """The requirement tables, read once from `requirements.yaml` beside this module."""
    path = package_file("segments", "credentials", "requirements", "requirements.yaml")
    raw = read_yaml(path, _FILE_KEYS)
    families = {name: _family(name, rules) for name, rules in raw["families"].items()}
    cohorts = tuple(_cohort(c, families) for c in raw["cohorts"])
    if not cohorts or cohorts[0].entered_from is not None:
        raise SpecError("requirements.yaml: the first cohort must have no entered_from")
    starts = [c.entered_from for c in cohorts[1:]]
    dated = [s for s in starts if s is not None]
    if len(dated) != len(starts) or dated != sorted(dated):
        raise SpecError("requirements.yaml: later cohorts need increasing entered_from dates")
    optional = raw["optional"]
    return Rules(
        optional=optional["name"],
        optional_aliases=tuple(str(a) for a in optional.get("aliases", ())),
        families=families,
        cohorts=cohorts,
    )


def cohort_of(entry: pl.Expr) -> pl.Expr:
    """Cohort name from the secondary entry date; unknown dates fall in the first cohort."""
    cohorts = requirement_rules().cohorts
    expr: pl.Expr = pl.lit(cohorts[0].name)
    for cohort in cohorts[1:]:
        expr = (
            pl.when(entry >= pl.lit(cohort.entered_from)).then(pl.lit(cohort.name)).otherwise(expr)
        )
    return expr


def _rule_expr(rule: dict[str, Any], code: pl.Expr, coop: pl.Expr) -> pl.Expr:
    if rule["coop"]:
        return coop.fill_null(False)
    expr = pl.lit(True)
    if rule["prefix"]:
        expr = pl.any_horizontal([code.str.starts_with(p) for p in rule["prefix"]])
    if rule["grades"]:
        expr = expr & code.str.slice(3, 1).is_in(list(rule["grades"]))
    for prefix in rule["exclude"]:
        expr = expr & ~code.str.starts_with(prefix)
    return expr.fill_null(False)


def family_expr(names: tuple[str, ...], code: str = "code", coop: str = "coop") -> pl.Expr:
    """True for the rows whose course belongs to any of the named families."""
    families = requirement_rules().families
    parts = [
        _rule_expr(rule, pl.col(code), pl.col(coop)) for name in names for rule in families[name]
    ]
    return pl.any_horizontal(parts)
