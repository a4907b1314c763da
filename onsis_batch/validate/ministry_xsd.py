"""The check mode's schema: the specs' schema with the relaxations of `ministry.yaml`.

`schemas/onsis_batch_ministry.xsd` is generated (by `onsis-batch docs`) from the same specs
as our own schema, so a spec change reaches both; only the declared relaxations differ:

- BATCH_TYPE takes the rule book's spelling and the others declared;
- the envelope elements declared optional (the CLEAR_* flags) may be left out;
- a decimal takes up to its places (`.50`, `0.5`), never more;
- elements and child segments come in any order within their parent (an unbounded
  choice), so the checks of `validate.ministry` report missing and repeated elements;
- a coded element takes any text: `validate.ministry` checks it against its table and
  the code's dates in force.
"""

from __future__ import annotations

from pathlib import Path

from onsis_batch.resources import data_dir
from onsis_batch.specs import ElementSpec, load_envelope, load_specs
from onsis_batch.validate.relaxations import Relaxations, relaxations
from onsis_batch.validate.xsd import SchemaBuilder, SimpleType, schema_text, simple_type

MINISTRY_SCHEMA_FILE = "onsis_batch_ministry.xsd"
BATCH_TYPE = "BATCH_TYPE"


def decimal_up_to(places: int) -> SimpleType:
    """A decimal with up to `places` places, the leading zero optional (`.50`)."""
    if not places:
        return SimpleType("decimal.0", (("pattern", r"\d+"),))
    tail = rf"\.\d{{1,{places}}}"
    return SimpleType(f"decimal.upto{places}", (("pattern", rf"\d+({tail})?|{tail}"),))


class MinistryBuilder(SchemaBuilder):
    """The schema builder with the declared relaxations applied."""

    group = 'choice minOccurs="0" maxOccurs="unbounded"'

    def __init__(self, rules: Relaxations):
        super().__init__(load_specs(), load_envelope())
        self.rules = rules

    def base_type(self, element: ElementSpec, owner: str) -> SimpleType:
        """The relaxed simple type of an element."""
        if element.name == BATCH_TYPE and element.fixed is not None:
            spellings = (element.fixed, *self.rules.batch_types)
            return SimpleType("batch_type", tuple(("enumeration", s) for s in spellings))
        if element.type == "decimal":
            return decimal_up_to(element.places or 0)
        if element.type == "code" and element.fixed is None:
            return SimpleType("text", (("minLength", "1"),))
        return simple_type(element, owner)

    def mandatory(self, element: ElementSpec, envelope: bool) -> bool:
        """Envelope elements declared optional may be left out."""
        if envelope and element.name in self.rules.optional_envelope:
            return False
        return super().mandatory(element, envelope)


def build_ministry_xsd() -> str:
    """The check mode's XSD text; the same specs and relaxations give the same text."""
    origin = "segment_specs/ and onsis_batch/validate/ministry.yaml"
    return schema_text(MinistryBuilder(relaxations()), origin)


def ministry_schema_path() -> Path:
    """Where the check mode's XSD is kept (and read by `validate --ministry`)."""
    return data_dir("schemas") / MINISTRY_SCHEMA_FILE
