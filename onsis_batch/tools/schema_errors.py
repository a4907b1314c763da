"""Why a batch file does not match the schema, error by error (`validate --explain`).

lxml validates every file (it is fast, and its messages become the XSD001 findings). When
it rejects one, xmlschema reads the same file again: its error objects say what lxml's
log leaves out, namely the path of the element at fault and the elements the schema
expected there. Only the schema's wording is kept, never the value that failed, so an
explanation names no student.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from onsis_batch.validate.batch_file import hardened_parser
from onsis_batch.validate.xsd import schema_path

MAX_EXPLAINED = 50  # the first errors explain the rest: one mistake repeats per record


@dataclass(frozen=True)
class SchemaError:
    """One place where the file leaves the schema: line, element path, reason, and the
    elements the schema would have taken there (empty when it is a value at fault)."""

    line: int | None
    path: str | None
    reason: str
    expected: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data."""
        return asdict(self) | {"expected": list(self.expected)}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "line ?"
        expected = f" (expected: {', '.join(self.expected)})" if self.expected else ""
        return f"{where} {self.path or '/'}: {self.reason}{expected}"


@cache
def _schema(path: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(path))


def explain_schema_errors(
    path: Path, schema: Path | None = None, limit: int = MAX_EXPLAINED
) -> list[SchemaError]:
    """The first `limit` schema errors of the batch file at `path`, with their context;
    empty when the file is valid or cannot be parsed (its findings say why)."""
    try:
        tree = etree.parse(str(path), hardened_parser())
    except (etree.XMLSyntaxError, OSError):
        return []
    validator = _schema((schema or schema_path()).resolve())
    return [_explained(error) for error in islice(validator.iter_errors(tree), limit)]


def _explained(error: xmlschema.XMLSchemaValidationError) -> SchemaError:
    return SchemaError(
        line=error.sourceline,
        path=error.path,
        reason=error.reason or "does not match the schema",  # the message quotes the value
        expected=tuple(getattr(error, "expected_tags", ())),
    )
