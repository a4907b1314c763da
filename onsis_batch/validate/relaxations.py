"""The declared relaxations of the check mode (`validate --ministry`), read from
`validate/ministry.yaml`: what the Ministry's format allows beyond what we write, the
period windows, the date pairs that must be in order, and the rules left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from onsis_batch.resources import package_file
from onsis_batch.specs import load_envelope, load_specs
from onsis_batch.strict_yaml import ANY_KEY, Shape, SpecError, read_checked

RELAXATIONS_FILE = ("validate", "ministry.yaml")
_SHAPE: Shape = {
    "batch_types": [None],
    "optional_envelope": [None],
    "decimals": None,
    "order": None,
    "codes": None,
    "periods": {ANY_KEY: {"kind": None, "start": None, "end": None}},
    "date_order": [{"segment": None, "first": None, "then": None}],
    "rules_left_out": {ANY_KEY: None},
}


@dataclass(frozen=True)
class PeriodWindow:
    """A secondary period code's kind and its window as (month, day) pairs."""

    code: str
    kind: str
    start: tuple[int, int]
    end: tuple[int, int]

    def dates(self, school_year: str) -> tuple[date, date]:
        """First and last day of the window in `school_year` (July 1 opens the year)."""
        first = int(school_year[:4])
        start = date(first if self.start[0] >= 7 else first + 1, *self.start)
        end = date(first if self.end[0] >= 7 else first + 1, *self.end)
        return start, end


@dataclass(frozen=True)
class DateOrder:
    """Two dates of one segment: `first` must not come after `then`."""

    segment: str
    first: str
    then: str


@dataclass(frozen=True)
class Relaxations:
    """Everything `ministry.yaml` declares."""

    batch_types: tuple[str, ...]
    optional_envelope: frozenset[str]
    periods: dict[str, PeriodWindow]
    date_order: tuple[DateOrder, ...]
    rules_left_out: dict[str, str]


@cache
def relaxations() -> Relaxations:
    """The relaxations, checked against the specs they name."""
    return read_checked(package_file(*RELAXATIONS_FILE), _SHAPE, _relaxations)


def _relaxations(raw: dict[str, Any]) -> Relaxations:
    fixed = {"decimals": "up_to_places", "order": "any", "codes": "by_period"}
    for key, value in fixed.items():  # the builder implements exactly these
        if raw.get(key) != value:
            raise SpecError(f"{key}: only {value!r} is implemented")
    envelope = load_envelope()
    clear = {e.name for e in (*envelope.header, *envelope.school_submission, *envelope.school)}
    optional = frozenset(raw["optional_envelope"])
    if optional - clear:
        raise SpecError(f"optional_envelope: {sorted(optional - clear)} not in envelope.yaml")
    return Relaxations(
        batch_types=tuple(str(t) for t in raw["batch_types"]),
        optional_envelope=optional,
        periods={code: _window(code, w) for code, w in raw["periods"].items()},
        date_order=tuple(_date_order(i, d) for i, d in enumerate(raw["date_order"])),
        rules_left_out={str(k): str(v) for k, v in raw["rules_left_out"].items()},
    )


def _month_day(where: str, text: Any) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(text).split("-"))
        date(2000, month, day)  # a leap year: every month-day that exists
    except ValueError:
        raise SpecError(f"{where}: {text!r} is not a month-day like 10-31") from None
    return month, day


def _window(code: str, raw: dict[str, Any]) -> PeriodWindow:
    where = f"periods.{code}"
    return PeriodWindow(
        code,
        raw["kind"],
        _month_day(f"{where}.start", raw["start"]),
        _month_day(f"{where}.end", raw["end"]),
    )


def _date_order(index: int, raw: dict[str, Any]) -> DateOrder:
    order = DateOrder(raw["segment"], raw["first"], raw["then"])
    spec = load_specs().get(order.segment)
    if spec is None:
        raise SpecError(f"date_order[{index}].segment: no spec {order.segment}")
    dates = {e.name for e in spec.elements if e.type == "date"}
    for name in (order.first, order.then):
        if name not in dates:
            raise SpecError(f"date_order[{index}]: {name} is not a date of {order.segment}")
    return order
