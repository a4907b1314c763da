"""Segment specs: the declared shape of every XML segment, read from `segment_specs/`.

Specs are validated when loaded: an unknown key or a bad value is reported with the file
and the key path (`segment_specs/DIPLOMA.yaml: elements[2].mandatoy_on: unknown key`), so a
typo in a YAML file never silently changes the output. `SpecError` is that error.

Every element (ACTION excepted: the engine decides it) names the one function that derives
its value, as `module:function` under `onsis_batch.segments`: its own `derived_by`, else the
segment's `built_by`, the function that derives all its other elements (D560).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from onsis_batch.codes import code_tables
from onsis_batch.resources import data_dir
from onsis_batch.strict_yaml import SpecError as SpecError  # raised here, caught by name
from onsis_batch.strict_yaml import YamlError, read_checked, record_keys

ELEMENT_TYPES = {
    "action",
    "text",
    "code",
    "date",
    "year_month",
    "time",
    "flag",
    "clear_flag",
    "decimal",
    "integer",
    "oen",
    "men",
    "bsid",
    "postal_code",
    "academic_year",
}
# Plan column dtypes an element may declare when its type's usual one does not fit.
PLAN_DTYPES = ("String", "Boolean", "Date", "Float64", "Int64")
PERIOD_KINDS = ("oct", "mar", "jun")
ACTIONS = ("ADD", "UPDATE", "DELETE")
# Where an element's value is derived: a function of a module of the segment builders.
DERIVATION = re.compile(r"onsis_batch\.segments(\.[a-z_][a-z0-9_]*)+:[a-z_]\w*")


@dataclass(frozen=True)
class ElementSpec:
    """One element of a segment: its type, its rules and where its value comes from."""

    name: str
    type: str
    description: str = ""
    source: str = ""
    table: str | None = None
    max_length: int | None = None
    places: int | None = None
    key: bool = False
    required: bool = False
    mandatory_on: tuple[str, ...] = ()
    public_only: bool = False
    personal: bool = False  # never quoted in findings or logs
    fixed: str | None = None
    default: str | None = None  # envelope: written when the run chooses no value (CLEAR_*)
    since: str | None = None  # first school year the element is sent, e.g. "2014-2015"
    until: str | None = None  # last school year the element is sent
    plan_dtype: str | None = None  # plan column dtype when not the type's usual one
    derived_by: str | None = None  # `module:function` deriving the value (D560)

    def applies(self, school_year: str, private: bool) -> bool:
        """Whether this element is written at all for a run of that year and kind."""
        if private and self.public_only:
            return False
        if self.since and school_year < self.since:
            return False
        return not (self.until and school_year > self.until)


@dataclass(frozen=True)
class SegmentSpec:
    """The declared shape of one XML segment: parent, periods, key and elements in order."""

    segment: str
    rule_book: str
    parent: str
    periods: tuple[str, ...]
    elements: tuple[ElementSpec, ...]
    key: tuple[str, ...] = ()
    has_action: bool = True
    actions: tuple[str, ...] = ()
    pae_extract: str | None = None
    description: str = ""
    children: tuple[str, ...] = ()
    children_after: str | None = None  # element the children follow; None: the last one
    tag: str | None = None  # XML element name when it differs from the spec name
    built_by: str | None = None  # `module:function` deriving every element without derived_by
    path: Path | None = field(default=None, compare=False)

    @property
    def xml_tag(self) -> str:
        """The element written for this segment (OTHER_COURSE_INFO has two specs, one tag)."""
        return self.tag or self.segment

    def element(self, name: str) -> ElementSpec:
        """The element `name`; KeyError when the segment has none."""
        for element in self.elements:
            if element.name == name:
                return element
        raise KeyError(f"{self.segment} has no element {name}")

    def applicable_elements(self, school_year: str, private: bool) -> tuple[ElementSpec, ...]:
        """The elements written for a run of that school year and kind, in order."""
        return tuple(e for e in self.elements if e.applies(school_year, private))

    def sequence(self) -> tuple[ElementSpec | str, ...]:
        """A row's content in the order it is written: the elements, with the child
        segments (spec names) right after `children_after`, else after the last element.
        The rule book lists OTHER_COURSE_INFO amid its parent's elements (D760)."""
        at = len(self.elements)
        if self.children_after is not None:
            at = 1 + [e.name for e in self.elements].index(self.children_after)
        return (*self.elements[:at], *self.children, *self.elements[at:])

    def derivation(self, name: str) -> str | None:
        """The `module:function` that derives element `name`; None for ACTION."""
        element = self.element(name)
        if element.type == "action":
            return None
        return element.derived_by or self.built_by


@dataclass(frozen=True)
class Envelope:
    """The fixed frame of a batch file: root, header, school submission and school elements."""

    rule_book: str
    root: str
    header: tuple[ElementSpec, ...]
    school_submission: tuple[ElementSpec, ...]
    school: tuple[ElementSpec, ...]
    school_children: tuple[str, ...]


_ELEMENT_KEYS = record_keys(ElementSpec)
_SEGMENT_KEYS = record_keys(SegmentSpec, leave_out=("path",), elements=[_ELEMENT_KEYS])
_ENVELOPE_KEYS = record_keys(
    Envelope, header=[_ELEMENT_KEYS], school_submission=[_ELEMENT_KEYS], school=[_ELEMENT_KEYS]
)


def _element(raw: dict[str, Any], where: str) -> ElementSpec:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: an element must be a mapping")
    if "name" not in raw or "type" not in raw:
        raise SpecError(f"{where}: an element needs a name and a type")
    if raw["type"] not in ELEMENT_TYPES:
        raise SpecError(f"{where}.type: {raw['type']!r} is not one of {sorted(ELEMENT_TYPES)}")
    if raw["type"] == "code" and raw.get("table") not in code_tables():
        raise SpecError(f"{where}.table: {raw.get('table')!r} is not a table in codes.yaml")
    if raw["type"] == "decimal" and not isinstance(raw.get("places"), int):
        raise SpecError(f"{where}.places: a decimal element needs its number of places")
    _check_derivation(raw.get("derived_by"), f"{where}.derived_by")
    if raw.get("plan_dtype", PLAN_DTYPES[0]) not in PLAN_DTYPES:
        raise SpecError(f"{where}.plan_dtype: {raw['plan_dtype']!r} is not one of {PLAN_DTYPES}")
    mandatory = tuple(raw.get("mandatory_on", ()))
    if any(a not in ACTIONS for a in mandatory):
        raise SpecError(f"{where}.mandatory_on: actions are {ACTIONS}")
    values = dict(raw, mandatory_on=mandatory)
    for name in ("fixed", "default"):
        if values.get(name) is not None:
            values[name] = str(values[name])
    return ElementSpec(**values)


def _check_derivation(value: Any, where: str) -> None:
    """SpecError unless `value` is None or names a function like DERIVATION says."""
    if value is not None and not (isinstance(value, str) and DERIVATION.fullmatch(value)):
        raise SpecError(f"{where}: {value!r} is not like 'onsis_batch.segments.module:function'")


def split_derivation(reference: str) -> tuple[str, str]:
    """(module, function) of a `derived_by` / `built_by` reference."""
    module, _, name = reference.partition(":")
    return module, name


def _elements(raw: Any, where: str) -> tuple[ElementSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: must be a non-empty list of elements")
    elements = tuple(_element(item, f"{where}[{i}]") for i, item in enumerate(raw))
    names = [e.name for e in elements]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: an element name is repeated")
    return elements


def load_segment_spec(path: Path) -> SegmentSpec:
    """One segment spec file, checked; SpecError naming the file and key path when wrong."""
    return read_checked(path, _SEGMENT_KEYS, lambda raw: _segment_spec(raw, path))


def _segment_spec(raw: Any, path: Path) -> SegmentSpec:
    if not isinstance(raw, dict):
        raise SpecError("(top): must be a mapping")
    for required in ("segment", "rule_book", "parent", "periods", "elements"):
        if required not in raw:
            raise SpecError(f"{required}: missing")
    if any(p not in PERIOD_KINDS for p in raw["periods"]):
        raise SpecError(f"periods: periods are {PERIOD_KINDS}")
    elements = _elements(raw["elements"], "elements")
    names = {e.name for e in elements}
    if any(k not in names for k in raw.get("key", [])):
        raise SpecError("key: every key must be an element")
    if raw.get("children_after") is not None and raw["children_after"] not in names:
        raise SpecError("children_after: must name an element of the segment")
    _check_derivation(raw.get("built_by"), "built_by")
    for i, element in enumerate(elements):
        if element.type != "action" and not (element.derived_by or raw.get("built_by")):
            raise SpecError(f"elements[{i}].derived_by: missing, and the segment has no built_by")
    values = dict(raw, elements=elements, path=path)
    for name in ("periods", "key", "actions", "children"):
        values[name] = tuple(raw.get(name, ()))
    return SegmentSpec(**values)


@cache
def load_specs(folder: Path | None = None) -> dict[str, SegmentSpec]:
    """All segment specs of a folder (default: the bundled `segment_specs/`), by segment name."""
    folder = folder or data_dir("segment_specs")
    specs = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "envelope.yaml":
            continue
        spec = load_segment_spec(path)
        if spec.segment != path.stem:
            raise YamlError(path, f"segment: {spec.segment} must be the file name")
        specs[spec.segment] = spec
    for spec in specs.values():
        missing = [c for c in spec.children if c not in specs]
        if missing:
            problem = f"children: no spec for {', '.join(missing)}"
            raise YamlError(spec.path or folder, problem)
    return specs


@cache
def load_envelope(folder: Path | None = None) -> Envelope:
    """The batch file's envelope (header, school submission, school), from `envelope.yaml`."""
    path = (folder or data_dir("segment_specs")) / "envelope.yaml"
    return read_checked(path, _ENVELOPE_KEYS, _envelope)


def _envelope(raw: Any) -> Envelope:
    return Envelope(
        rule_book=raw["rule_book"],
        root=raw["root"],
        header=_elements(raw["header"], "header"),
        school_submission=_elements(raw["school_submission"], "school_submission"),
        school=_elements(raw["school"], "school"),
        school_children=tuple(raw["school_children"]),
    )
