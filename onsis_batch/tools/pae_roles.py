"""The role of each segment in the Pending Area Extracts, read from `pae_from_xml.yaml`.

The layouts (`pae/layouts/`) say what columns an extract has; the specs say which extract
holds a segment; this file says how a record becomes cells of rows (its role, and the
columns of elements whose names differ). It is checked against both on load, so a spec or
layout change that leaves a segment without a place in its extract fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from onsis_batch.pae.layout import load_layouts
from onsis_batch.resources import package_file
from onsis_batch.specs import SegmentSpec, load_specs
from onsis_batch.strict_yaml import ANY_KEY, Shape, SpecError, read_checked

ROLES = ("row", "part", "fan_out", "list", "flag")
CHILD_ROLES = ("fan_out", "list", "flag")  # cells of the parent's rows, no row identity


@dataclass(frozen=True)
class SegmentRole:
    """How the records of one segment become cells of one extract."""

    segment: str
    role: str  # one of ROLES
    extract: str
    columns: dict[str, str] = field(default_factory=dict)  # element (or code) -> column
    distinct: tuple[str, ...] = ()
    inherit: tuple[str, ...] = ()

    def column(self, element: str) -> str:
        """The extract column of an element (its name in lower case unless mapped)."""
        return self.columns.get(element, element.lower())

    @property
    def spec(self) -> SegmentSpec:
        """The segment's spec."""
        return load_specs()[self.segment]


_SHAPE: Shape = {
    "segments": {ANY_KEY: {"role": None, "columns": None, "distinct": [None], "inherit": [None]}}
}


@cache
def segment_roles() -> dict[str, SegmentRole]:
    """Every segment an extract holds, with its role; SpecError naming the problem."""
    path = package_file("tools", "pae_from_xml.yaml")
    return read_checked(path, _SHAPE, _roles)


def _roles(raw: Any) -> dict[str, SegmentRole]:
    specs = load_specs()
    listed = raw.get("segments") if isinstance(raw, dict) else None
    if not isinstance(listed, dict):
        raise SpecError("segments: must map each segment to its role")
    held = {name for name, spec in specs.items() if spec.pae_extract}
    if set(listed) != held:
        missing, extra = sorted(held - set(listed)), sorted(set(listed) - held)
        raise SpecError(f"segments: missing {missing}, not held in an extract {extra}")
    roles = {name: _role(name, entry, specs) for name, entry in listed.items()}
    for role in roles.values():
        parent = roles.get(role.spec.parent)
        if role.role in CHILD_ROLES and (parent is None or parent.role != "row"):
            raise SpecError(f"segments.{role.segment}: a {role.role} needs a parent of role row")
    return roles


def _role(name: str, entry: Any, specs: dict[str, SegmentSpec]) -> SegmentRole:
    where = f"segments.{name}"
    if not isinstance(entry, dict) or entry.get("role") not in ROLES:
        raise SpecError(f"{where}.role: must be one of {', '.join(ROLES)}")
    extract = specs[name].pae_extract or ""
    known = {c.name for c in load_layouts()[extract].columns}
    columns = {str(k): str(v) for k, v in (entry.get("columns") or {}).items()}
    role = SegmentRole(
        segment=name,
        role=entry["role"],
        extract=extract,
        columns=columns,
        distinct=tuple(entry.get("distinct") or ()),
        inherit=tuple(entry.get("inherit") or ()),
    )
    named = [*columns.values(), *role.distinct, *role.inherit]
    unknown = [c for c in named if c not in known]
    if unknown:
        raise SpecError(f"{where}: extract {extract} has no column {', '.join(unknown)}")
    return role


def chain(segment: str) -> list[SegmentSpec]:
    """The segment's spec and its ancestors', root first."""
    specs = load_specs()
    found = [specs[segment]]
    while found[0].parent in specs:
        found.insert(0, specs[found[0].parent])
    return found


@cache
def identity_columns(segment: str) -> tuple[str, ...]:
    """The columns whose values identify a row of a `row` segment: the keys of the segment
    and of its ancestors, each named as its own role names it."""
    roles = segment_roles()
    columns: list[str] = []
    for spec in chain(segment):
        role = roles.get(spec.segment)
        columns += [role.column(k) if role else k.lower() for k in spec.key]
    return tuple(columns)
