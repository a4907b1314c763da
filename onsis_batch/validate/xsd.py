"""Generate the batch file's XSD from the segment specs (one place for each fact).

`python -m onsis_batch.validate.xsd` writes `schemas/onsis_batch.xsd`; `--check` exits 1 when the
committed file is not what the specs give, so a spec change cannot leave it stale.

Rules:
- elements appear in a sequence in spec order, followed by the child segments;
- an element may be left out (minOccurs="0") unless it is `required` and sent in every year
  and kind of school; an element that may be left out may also be empty;
- envelope elements (HEADER, SCHOOL_SUBMISSION, SCHOOL) are always present and never empty;
- a segment repeats, except a child segment without key elements of its own: the
  parent's key identifies it, so there is at most one per parent (STUDENT_SCHOOL_ENROLMENT);
- each element type maps to one named simple type; elements sharing a code table share it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from onsis_batch.codes import code_table
from onsis_batch.resources import data_dir
from onsis_batch.specs import (
    ACTIONS,
    ElementSpec,
    Envelope,
    SegmentSpec,
    load_envelope,
    load_specs,
)

SCHEMA_FILE = "onsis_batch.xsd"
XS_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
PATTERNS = {
    "date": r"\d{4}/\d{2}/\d{2}",
    "year_month": r"\d{4}/\d{2}",
    "time": r"\d{6}",
    "academic_year": r"\d{4}-\d{4}",
    "oen": r"\d{9}",
    "men": r"\d{9}",
    "bsid": r"\d{6}",
    "postal_code": r"[A-Z]\d[A-Z] \d[A-Z]\d",
    "integer": r"\d+",
}
ENUMERATIONS = {"action": ACTIONS, "flag": ("T", "F"), "clear_flag": ("Y", "N")}


@dataclass(frozen=True)
class SimpleType:
    """A restriction of xs:string: its facets as (facet, value) pairs, in order."""

    name: str
    facets: tuple[tuple[str, str], ...]

    def or_empty(self) -> SimpleType:
        """The same type that also accepts the empty string."""
        facets: list[tuple[str, str]] = []
        for facet, value in self.facets:
            if facet == "pattern":
                facets.append((facet, f"({value})?"))
            elif facet != "minLength":
                facets.append((facet, value))
        if any(f == "enumeration" for f, _ in facets):
            facets.append(("enumeration", ""))
        return SimpleType(f"{self.name}.opt", tuple(facets))


def simple_type(element: ElementSpec, owner: str) -> SimpleType:
    """The non-empty simple type of an element; `owner` names its segment (for fixed)."""
    kind = element.type
    if kind in ENUMERATIONS:  # CLEAR_* flags are Y/N even when the spec fixes the value
        return SimpleType(kind, tuple(("enumeration", v) for v in ENUMERATIONS[kind]))
    if element.fixed is not None:
        return SimpleType(f"fixed.{owner}.{element.name}", (("enumeration", element.fixed),))
    if kind in PATTERNS:
        return SimpleType(kind, (("pattern", PATTERNS[kind]),))
    if kind == "decimal":
        places = element.places or 0
        pattern = rf"\d+\.\d{{{places}}}" if places else r"\d+"
        return SimpleType(f"decimal.{places}", (("pattern", pattern),))
    if kind == "code":
        return _code_type(str(element.table))
    if element.max_length is not None:
        return SimpleType(
            f"text.{element.max_length}",
            (("minLength", "1"), ("maxLength", str(element.max_length))),
        )
    return SimpleType("text", (("minLength", "1"),))


def _code_type(table_name: str) -> SimpleType:
    table = code_table(table_name)
    if table.pattern is not None:
        return SimpleType(f"code.{table_name}", (("pattern", table.pattern),))
    return SimpleType(f"code.{table_name}", tuple(("enumeration", c) for c in table.codes))


def always_sent(element: ElementSpec) -> bool:
    """Required, and sent whatever the year or kind of school."""
    return element.required and not (element.public_only or element.since or element.until)


class SchemaBuilder:
    """Collects complex and simple types while walking the envelope and the specs.

    A relaxed schema (`validate.ministry_xsd`) overrides `base_type`, `mandatory` and
    `group`, the particle holding each complex type's elements.
    """

    group = "sequence"  # or "choice ...": elements in any order

    def __init__(self, specs: dict[str, SegmentSpec], envelope: Envelope):
        self.specs = specs
        self.envelope = envelope
        self.types: dict[str, SimpleType] = {}
        self.complex: list[str] = []

    def base_type(self, element: ElementSpec, owner: str) -> SimpleType:
        """The non-empty simple type of an element (a relaxed schema overrides it)."""
        return simple_type(element, owner)

    def mandatory(self, element: ElementSpec, envelope: bool) -> bool:
        """Whether the element must be present and non-empty."""
        return envelope or always_sent(element)

    def type_of(self, element: ElementSpec, owner: str, mandatory: bool) -> str:
        """The name of the element's simple type, registered once."""
        base = self.base_type(element, owner)
        chosen = base if mandatory else base.or_empty()
        known = self.types.setdefault(chosen.name, chosen)
        if known != chosen:
            raise ValueError(f"two different simple types are named {chosen.name}")
        return chosen.name

    def element_line(self, element: ElementSpec, owner: str, envelope: bool = False) -> str:
        """The xs:element declaration of one element."""
        mandatory = self.mandatory(element, envelope)
        occurs = "" if mandatory else ' minOccurs="0"'
        kind = self.type_of(element, owner, mandatory)
        return f'<xs:element name="{element.name}" type="{kind}"{occurs}/>'

    def add_complex(self, name: str, lines: list[str]) -> None:
        """Add a complex type holding `lines` in the builder's group."""
        body = "\n".join(f"      {line}" for line in lines)
        close = self.group.split()[0]
        self.complex.append(
            f'  <xs:complexType name="{name}">\n    <xs:{self.group}>\n{body}\n'
            f"    </xs:{close}>\n  </xs:complexType>"
        )

    def segment_line(self, name: str, parent: str) -> str:
        """The xs:element declaration of a child segment."""
        spec = self.specs[name]
        single = parent != "SCHOOL" and not spec.key
        occurs = "" if single else ' maxOccurs="unbounded"'
        return f'<xs:element name="{spec.xml_tag}" type="{name}" minOccurs="0"{occurs}/>'

    def add_segment(self, name: str) -> None:
        """Add the complex type of a segment and of its children."""
        spec = self.specs[name]
        lines = [
            self.segment_line(i, name) if isinstance(i, str) else self.element_line(i, name)
            for i in spec.sequence()  # elements and children in the rule book's order
        ]
        self.add_complex(name, lines)
        for child in spec.children:
            self.add_segment(child)

    def add_envelope(self) -> None:
        """Add the envelope's complex types, then every segment's."""
        env = self.envelope
        self.add_complex("HEADER", [self.element_line(e, "HEADER", True) for e in env.header])
        self.add_complex(
            "DATA",
            [
                '<xs:element name="SCHOOL_SUBMISSION" type="SCHOOL_SUBMISSION"'
                ' maxOccurs="unbounded"/>'
            ],
        )
        submission = [
            self.element_line(e, "SCHOOL_SUBMISSION", True) for e in env.school_submission
        ]
        submission.append('<xs:element name="SCHOOL" type="SCHOOL" maxOccurs="unbounded"/>')
        self.add_complex("SCHOOL_SUBMISSION", submission)
        school = [self.element_line(e, "SCHOOL", True) for e in env.school]
        school += [self.segment_line(name, "SCHOOL") for name in env.school_children]
        self.add_complex("SCHOOL", school)
        for name in env.school_children:
            self.add_segment(name)


def _simple_type_text(kind: SimpleType) -> str:
    from xml.sax.saxutils import quoteattr  # brings urllib and ssl: only to write the XSD

    facets = "\n".join(
        f"      <xs:{facet} value={quoteattr(value)}/>" for facet, value in kind.facets
    )
    return (
        f'  <xs:simpleType name="{kind.name}">\n    <xs:restriction base="xs:string">\n'
        f"{facets}\n    </xs:restriction>\n  </xs:simpleType>"
    )


def build_xsd(specs: dict[str, SegmentSpec] | None = None, envelope: Envelope | None = None) -> str:
    """The XSD text; the same specs always give the same text."""
    return schema_text(SchemaBuilder(specs or load_specs(), envelope or load_envelope()))


def schema_text(builder: SchemaBuilder, origin: str = "segment_specs/") -> str:
    """The XSD a builder gives; `origin` names what it is generated from."""
    builder.add_envelope()
    root = builder.envelope.root
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- Generated by `onsis-batch docs` from {origin}. Do not edit. -->",
        f'<xs:schema xmlns:xs="{XS_NAMESPACE}" elementFormDefault="qualified">',
        f'  <xs:element name="{root}">\n    <xs:complexType>\n      <xs:sequence>\n'
        '        <xs:element name="HEADER" type="HEADER"/>\n'
        '        <xs:element name="DATA" type="DATA"/>\n'
        "      </xs:sequence>\n    </xs:complexType>\n  </xs:element>",
        *builder.complex,
        *(_simple_type_text(builder.types[n]) for n in sorted(builder.types)),
        "</xs:schema>",
    ]
    return "\n".join(parts) + "\n"


def schema_path() -> Path:
    """Where the generated XSD is kept (and read by the validator)."""
    return data_dir("schemas") / SCHEMA_FILE


def main(argv: list[str] | None = None) -> int:
    """Write the XSD, or with --check say whether the committed one is current (exit 1 if not)."""
    parser = argparse.ArgumentParser(
        prog="python -m onsis_batch.validate.xsd",
        description="Write or check schemas/onsis_batch.xsd.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the committed XSD differs from the specs"
    )
    args = parser.parse_args(argv)
    path, text = schema_path(), build_xsd()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run `python -m onsis_batch.validate.xsd`", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
