"""A batch file read back as rows: one per segment element, with its key path, line and
element path, and its values as text, so the check mode (`validate.ministry`) can run the
business rules on a file it did not write.

Segments are recognised by their place (a spec's tag under its parent's tag), whatever
their order; the envelope (HEADER, SCHOOL_SUBMISSION, SCHOOL) is read as rows too, so one
check of required and repeated elements covers it. Key paths have the plan's form
(`OEN=123456789 / STUDENT_SCHOOL_ENROLMENT / CLASS_CODE=MCV4U-01`, D200), numbered `#2`
when a file repeats one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from onsis_batch.plan.keys import SEPARATOR
from onsis_batch.specs import ElementSpec, SegmentSpec, load_envelope, load_specs

ENVELOPE = ("HEADER", "SCHOOL_SUBMISSION", "SCHOOL")


@dataclass(frozen=True)
class Row:
    """One segment (or envelope part) of the file."""

    segment: str  # spec name, or HEADER / SCHOOL_SUBMISSION / SCHOOL
    key: str  # the key path, unique within the segment
    parent: str | None  # the parent row's key path
    line: int
    path: str  # the element path, e.g. /ONSIS_BATCH_FILE/DATA/.../STUDENT[2]
    values: dict[str, str | None]  # first occurrence of each element; empty -> None
    counts: dict[str, int] = field(default_factory=dict)  # how often each element appears
    lines: dict[str, int] = field(default_factory=dict)  # line of each element's first occurrence

    @property
    def action(self) -> str | None:
        """The row's ACTION, None when it has none."""
        return self.values.get("ACTION")

    def element_path(self, name: str) -> str:
        """The path of element `name` of this row (the row's own path when it has none)."""
        return f"{self.path}/{name}" if name in self.values else self.path


@dataclass(frozen=True)
class FileRows:
    """Every row of a batch file, by segment, in file order."""

    rows: dict[str, list[Row]]

    def all(self) -> Iterator[Row]:
        """Every row, segment by segment."""
        for rows in self.rows.values():
            yield from rows

    def find(self, segment: str | None, key: str | None) -> Row | None:
        """The row of `segment` with key path `key`, if any."""
        return next((r for r in self.rows.get(segment or "", []) if r.key == key), None)

    def first(self, segment: str) -> Row | None:
        """The first row of `segment` (the envelope parts have one)."""
        rows = self.rows.get(segment)
        return rows[0] if rows else None


def envelope_elements(part: str) -> tuple[ElementSpec, ...]:
    """The elements of HEADER, SCHOOL_SUBMISSION or SCHOOL, as envelope.yaml lists them."""
    env = load_envelope()
    return {"HEADER": env.header, "SCHOOL_SUBMISSION": env.school_submission}.get(part, env.school)


def _line(node: etree._Element) -> int:
    """The line an element starts on (0 when lxml does not know)."""
    line = node.sourceline
    return line if isinstance(line, int) else 0


def _children(specs: dict[str, SegmentSpec]) -> dict[tuple[str, str], str]:
    """(parent spec or envelope part, child tag) -> child spec name."""
    found = {("SCHOOL", specs[n].xml_tag): n for n in load_envelope().school_children}
    for name, spec in specs.items():
        found |= {(name, specs[c].xml_tag): c for c in spec.children}
    return found


class _Reader:
    def __init__(self, tree: etree._ElementTree):
        self.tree = tree
        self.specs = load_specs()
        self.children = _children(self.specs)
        self.rows: dict[str, list[Row]] = {}
        self.seen: Counter[tuple[str, str]] = Counter()

    def read(self) -> FileRows:
        root = self.tree.getroot()
        for part in ("HEADER", "DATA/SCHOOL_SUBMISSION", "DATA/SCHOOL_SUBMISSION/SCHOOL"):
            for node in root.iterfind(part):
                name = str(node.tag)
                self.add(name, node, None, envelope_elements(name), ())
                if name == "SCHOOL":  # its segments' keys start afresh, as the plan's do
                    self.walk(node, name, None)
        return FileRows(self.rows)

    def walk(self, node: etree._Element, owner: str, parent_key: str | None) -> None:
        for child in node:
            name = self.children.get((owner, str(child.tag)))
            if name is None:
                continue
            spec = self.specs[name]
            row = self.add(name, child, parent_key, spec.elements, spec.key)
            self.walk(child, name, row.key)

    def add(
        self,
        segment: str,
        node: etree._Element,
        parent_key: str | None,
        elements: tuple[ElementSpec, ...],
        key: tuple[str, ...],
    ) -> Row:
        names = {e.name for e in elements}
        leaves = [c for c in node if isinstance(c.tag, str) and c.tag in names]
        values: dict[str, str | None] = {}
        lines: dict[str, int] = {}
        for leaf in leaves:
            text = (leaf.text or "").strip()
            values.setdefault(str(leaf.tag), text or None)
            lines.setdefault(str(leaf.tag), _line(leaf))
        counts = Counter(str(leaf.tag) for leaf in leaves)
        row = Row(
            segment=segment,
            key=self.unique(segment, self.key_path(node, parent_key, key, values)),
            parent=parent_key,
            line=_line(node),
            path=self.tree.getpath(node),
            values=values,
            counts=dict(counts),
            lines=lines,
        )
        self.rows.setdefault(segment, []).append(row)
        return row

    @staticmethod
    def key_path(
        node: etree._Element,
        parent_key: str | None,
        key: tuple[str, ...],
        values: dict[str, str | None],
    ) -> str:
        tag = str(node.tag)
        level = ",".join(f"{k}={values.get(k) or ''}" for k in key) if key else tag
        if tag == "SCHOOL":
            level = f"SCHOOL_NUMBER={values.get('SCHOOL_NUMBER') or ''}"
        return level if parent_key is None else f"{parent_key}{SEPARATOR}{level}"

    def unique(self, segment: str, key: str) -> str:
        self.seen[(segment, key)] += 1
        count = self.seen[(segment, key)]
        return key if count == 1 else f"{key} #{count}"


def read_rows(tree: etree._ElementTree) -> FileRows:
    """The rows of a parsed batch file."""
    return _Reader(tree).read()
