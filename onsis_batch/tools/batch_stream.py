"""One streaming pass over a batch or results file: records per segment and ERROR entries.

The file is read with lxml's iterparse under the project's hardened settings (no DTD, no
entity expanded, nothing fetched) and every element is cleared once read, so the tree
never holds more than the open path. Records are buffered as rows and turned into polars
frames every `CHUNK_ROWS` rows: a batch file as frames of text takes a fraction of its
size, where the whole lxml tree took about ten times it (D710).

What is read is what the tree walk of `records` read before: the segment tree comes from
the specs, an element with child elements that no spec names is a segment of its own, and
the ERROR entries of every level (file, school, segment, nested segment) are kept in the
order of their owners in the file, each owner before the records below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

ERROR_CONTAINER = "DATA_ERROR_DETAILS"
ERROR_FIELDS = ("FIELD_NAME", "FIELD_VALUE", "MESSAGE_CODE", "E_MESSAGE", "F_MESSAGE")
# Batch files nest segments four deep (STUDENT > ENROLMENT > CLASS ENROLMENT > COURSE INFO);
# elements no spec names nest too, but a file nested deeper than this is no batch file (and
# reading it would exhaust the stack).
MAX_SEGMENT_DEPTH = 32
CHUNK_ROWS = 20_000  # rows buffered as Python objects before they become a polars frame
SCHOOL_INDEX = "_school"  # while reading: the school's position in `schools`
INTEGERS = ("_rid", "_parent_rid", SCHOOL_INDEX, "_level", "_line")
# Children of the envelope's elements that the reader looks at; others are ignored.
ENVELOPE = {
    "root": {"HEADER": "header", "DATA": "data"},
    "data": {"SCHOOL_SUBMISSION": "submission"},
    "submission": {"SCHOOL": "school", "ACADEMIC_YEAR": "value", "SUBMISSION_PERIOD_TYPE": "value"},
}
# Error owners that are sections of the file: (level, owner) of their ERROR entries.
SECTIONS = {"header": "HEADER", "data": "DATA", "submission": "SCHOOL_SUBMISSION"}


class TooDeep(Exception):
    """Segments nested deeper than MAX_SEGMENT_DEPTH."""


class DocType(Exception):
    """The file declares a DOCTYPE."""


@dataclass
class _Open:
    """An element being read: what it is and what it has gathered so far."""

    kind: str  # root, header, data, submission, school, segment, leaf, errors, error, value...
    tag: str
    order: int  # position of its start in the file: ERROR entries are sorted by owner
    line: int
    name: str = ""  # segment name
    rid: int | None = None
    depth: int = 0  # segment level: 1 directly under SCHOOL
    ancestors: tuple[str, ...] = ()  # envelope ids, then `#rid` of the segments above
    school: int = -1
    values: dict[str, str] = field(default_factory=dict)
    children: bool = False


@dataclass
class Streamed:
    """What one pass gathered: frames per segment (with `_rid` and `_parent_rid`), the
    ERROR entries, and the envelope's values."""

    root: str = ""
    header: dict[str, str] = field(default_factory=dict)
    submission: dict[str, str] = field(default_factory=dict)
    has_submission: bool = False
    schools: list[str] = field(default_factory=list)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


class _Reader:
    """The element stack of the pass and the rows waiting to become frames."""

    def __init__(self, tree: dict[tuple[str, str], str], keep: set[str] | None) -> None:
        self.tree, self.keep = tree, keep
        self.stack: list[_Open | None] = []  # None: a plain value of a record
        self.out = Streamed()
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.buffered = 0
        self.chunks: dict[str, list[pl.DataFrame]] = {}
        self.order = 0
        self.error_order: list[tuple[int, int]] = []

    def start(self, element: etree._Element) -> None:
        tag, parent = str(element.tag), self.stack[-1] if self.stack else None
        self.order += 2
        if parent is None and self.stack:  # a plain value with children: a segment after all
            parent = self._promoted(element.getparent())
        elif parent is not None and parent.kind == "leaf":  # the same, under SCHOOL
            self._become_segment(parent, self._open(-2))
        plain = parent is not None and parent.kind == "segment" and tag != ERROR_CONTAINER
        if plain and parent is not None and (parent.name, tag) not in self.tree:
            parent.children = True  # a plain value (most elements): the fast path
            self.stack.append(None)
            return
        node = _Open("ignore", tag, self.order, _line(element))
        if parent is None:
            node.kind = "root"
            self.out.root = tag
        elif tag == ERROR_CONTAINER and parent.kind in ("root", "school", "segment", *SECTIONS):
            node.kind = "errors"
        elif parent.kind in ENVELOPE:
            node.kind = ENVELOPE[parent.kind].get(tag, "ignore")
        elif parent.kind == "header":
            node.kind = "value"
        elif parent.kind == "errors" and tag == "ERROR":
            node.kind = "error"
        elif parent.kind == "error":
            node.kind = "value"
        elif parent.kind in ("school", "segment"):
            self._under_record(node, parent)
        self._opened(node, parent)
        self.stack.append(node)

    def _opened(self, node: _Open, parent: _Open | None) -> None:
        if node.kind == "submission":
            self.out.has_submission = True
        if node.kind == "school":
            node.school = len(self.out.schools)
            self.out.schools.append("")
            node.ancestors = ("SCHOOL_SUBMISSION",)
        if parent is not None:
            parent.children = True

    def _open(self, index: int) -> _Open:
        """An element of the open path that is not a plain value (a record, a section)."""
        node = self.stack[index]
        assert node is not None  # plain values have no children, so never a parent
        return node

    def _promoted(self, element: etree._Element | None) -> _Open:
        """The `_Open` of a plain value whose first child just started: a segment named
        after its tag, started just before that child."""
        assert element is not None  # the child's parent is open
        node = _Open("leaf", str(element.tag), self.order - 1, _line(element))
        self._become_segment(node, self._open(-2))
        node.children = True
        self.stack[-1] = node
        return node

    def _under_record(self, node: _Open, parent: _Open) -> None:
        """A child of SCHOOL or of a record: a segment, or a plain value (known at its end)."""
        node.school = parent.school
        name = self.tree.get((parent.name or "SCHOOL", node.tag))
        node.kind = "leaf"
        if name is not None:
            node.name = name
            self._become_segment(node, parent)

    def _become_segment(self, node: _Open, parent: _Open) -> None:
        node.kind = "segment"
        node.name = node.name or node.tag
        node.rid = node.order
        node.depth = parent.depth + 1
        if parent.kind == "segment":
            above = (*parent.ancestors, f"#{parent.rid}")
        else:  # the BSID replaces the school's index in `_resolved`
            above = (*parent.ancestors, f"SCHOOL:{parent.school}")
        if len(above) > MAX_SEGMENT_DEPTH:
            raise TooDeep
        node.ancestors = above
        node.school = parent.school

    def end(self, element: etree._Element) -> None:
        node = self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if node is None:  # a plain value of a record; cleared with the record
            if parent is not None:
                parent.values[str(element.tag)] = (element.text or "").strip()
            return
        if parent is not None and node.kind in ("leaf", "value", "errors"):
            self._value(node, parent, (element.text or "").strip())
        if node.kind == "segment":
            self._record(node, parent)
        elif node.kind == "error" and parent is not None:
            self._error(node, self._open(-2))
        elif node.kind == "school":
            self.out.schools[node.school] = node.values.get("SCHOOL_NUMBER", "")
        elif node.kind == "header":
            self.out.header.update(node.values)
        elif node.kind == "submission" and not self.out.submission:
            self.out.submission = dict(node.values)
        self._forget(element)

    @staticmethod
    def _value(node: _Open, parent: _Open, text: str) -> None:
        """A plain value for its parent: in a record or the header the last of a tag wins
        (the header's error container counts, as its children always did); elsewhere the
        first, as findtext reads."""
        if node.kind == "errors":
            if parent.kind == "header":
                parent.values[node.tag] = text
        elif parent.kind in ("segment", "header"):
            parent.values[node.tag] = text
        else:
            parent.values.setdefault(node.tag, text)

    @staticmethod
    def _forget(element: etree._Element) -> None:
        """Drop what is read: the element's content and the siblings before it."""
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]

    def _record(self, node: _Open, parent: _Open | None) -> None:
        values = node.values
        if self.keep is not None:
            values = {k: v for k, v in values.items() if k in self.keep}
        row = {
            "_rid": node.rid,
            "_parent_rid": parent.rid if parent is not None else None,
            SCHOOL_INDEX: node.school,
            "_segment": node.name,
            "_level": node.depth,
            "_action": node.values.get("ACTION") or None,
            "_line": node.line,
            **values,
        }
        self.rows.setdefault(node.name, []).append(row)
        self.buffered += 1
        if self.buffered >= CHUNK_ROWS:
            self.flush()

    def _error(self, node: _Open, owner: _Open) -> None:
        entry: dict[str, Any] = {f.lower(): node.values.get(f, "") for f in ERROR_FIELDS}
        if owner.kind == "segment":
            level = "segment" if owner.depth == 1 else "nested segment"
            where = (level, owner.name, owner.school, owner.rid, owner.ancestors)
        elif owner.kind == "school":
            where = ("school", "SCHOOL", owner.school, None, owner.ancestors)
        else:
            where = ("file", SECTIONS.get(owner.kind, owner.tag), -1, None, ())
        level, segment, school, rid, ancestors = where
        entry.update(
            school=school, level=level, segment=segment, rid=rid, ancestors=list(ancestors)
        )
        entry["line"] = node.line
        self.error_order.append((owner.order, len(self.out.errors)))
        self.out.errors.append(entry)

    def flush(self) -> None:
        """Turn the buffered rows into one polars frame per segment."""
        for name, rows in self.rows.items():
            columns = list(dict.fromkeys(c for row in rows for c in row))
            schema = {c: pl.Int64 if c in INTEGERS else pl.String for c in columns}
            self.chunks.setdefault(name, []).append(pl.from_dicts(rows, schema=schema))
        self.rows, self.buffered = {}, 0

    def finish(self) -> Streamed:
        """The frames (rows in file order) and errors, schools named by their BSID."""
        self.flush()
        out = self.out
        bsids = dict(enumerate(out.schools))
        for name, chunks in self.chunks.items():
            frame = pl.concat(chunks, how="diagonal") if len(chunks) > 1 else chunks[0]
            school = pl.col(SCHOOL_INDEX).replace_strict(bsids, return_dtype=pl.String)
            out.frames[name] = frame.sort("_rid").with_columns(school)
        self.chunks = {}
        order = sorted(range(len(out.errors)), key=lambda i: self.error_order[i])
        out.errors = [_resolved(out.errors[i], out.schools) for i in order]
        return out


def _resolved(entry: dict[str, Any], schools: list[str]) -> dict[str, Any]:
    """An ERROR entry with its school index, in its ancestors too, replaced by the BSID."""
    index = entry["school"]
    bsid = schools[index] if index >= 0 else ""
    entry["school"] = bsid
    entry["ancestors"] = [
        f"SCHOOL:{bsid}" if a.startswith("SCHOOL:") else a for a in entry["ancestors"]
    ]
    return entry


def stream_batch(
    path: Path, tree: dict[tuple[str, str], str], keep: set[str] | None = None
) -> Streamed:
    """Read the file in one pass; `keep` limits the element values kept in the frames.

    Raises etree.XMLSyntaxError or OSError when it is not readable XML, DocType when it
    declares a DOCTYPE (before anything is read), TooDeep when segments nest too deep.
    """
    reader = _Reader(tree, keep)
    with path.open("rb") as source:  # closed even when reading stops half-way
        events = etree.iterparse(
            source,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        )
        for event, element in events:
            if event == "end":
                reader.end(element)
            elif reader.stack or not _declares_doctype(element):
                reader.start(element)
            else:
                raise DocType
    return reader.finish()


def _declares_doctype(root: etree._Element) -> bool:
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs' DocInfo lacks `doctype`
    return bool(docinfo.doctype) or docinfo.internalDTD is not None


def _line(element: etree._Element) -> int:
    """The element's line in the file (lxml-stubs misdeclare `sourceline`)."""
    return int(getattr(element, "sourceline", None) or 0)
