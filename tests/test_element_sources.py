"""Every element is derived in one place, named by its spec, and that place is what runs (D560)."""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sample_plans import period

from onsis_batch.resources import data_dir
from onsis_batch.segments.classes import enrolment as class_enrolment
from onsis_batch.segments.context import SegmentContext
from onsis_batch.segments.educators import assignment_values
from onsis_batch.segments.students import enrolment as school_enrolment
from onsis_batch.specs import SpecError, load_segment_spec, load_specs, split_derivation
from onsis_batch.tools.element_reference import elements_markdown
from onsis_batch.tools.reference_docs import segment_listing, segments_markdown

SPECS = load_specs()
DERIVED = [
    (spec.segment, element.name, spec.derivation(element.name))
    for spec in SPECS.values()
    for element in spec.elements
    if element.type != "action"
]
REFERENCES = sorted({reference for _, _, reference in DERIVED if reference})


def resolve(reference: str) -> Callable[..., Any]:
    """The function a `module:function` reference names."""
    module, name = split_derivation(reference)
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def ref(function: Callable[..., Any]) -> str:
    return f"{function.__module__}:{function.__name__}"


# --- the specs name a function for every element ----------------------------------------------


def test_every_element_but_action_names_the_function_deriving_it():
    assert [(s, e) for s, e, reference in DERIVED if reference is None] == []
    decided = [spec for spec in SPECS.values() if spec.has_action]
    assert decided and all(spec.derivation("ACTION") is None for spec in decided)


@pytest.mark.parametrize("reference", REFERENCES)
def test_every_named_function_is_importable_public_and_callable(reference):
    module, name = split_derivation(reference)
    assert module.startswith("onsis_batch.segments.") and not name.startswith("_")
    function = resolve(reference)
    assert callable(function) and inspect.isfunction(function)
    assert function.__module__ == module, f"{reference} is imported there, not defined"
    assert inspect.getdoc(function), f"{reference} says nothing of what it derives"


def test_the_source_prose_stays_beside_the_function():
    assert [(s, e) for s, e, _ in DERIVED if not SPECS[s].element(e).source] == []


def _copy_with(tmp_path: Path, segment: str, old: str, new: str) -> Path:
    text = (data_dir("segment_specs") / f"{segment}.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{segment}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_spec_without_a_derivation_for_an_element_does_not_load(tmp_path):
    path = _copy_with(
        tmp_path,
        "SPECIAL_EDUCATION",
        "derived_by: onsis_batch.segments.programs.special_education:special_education_values}",
        "}",
    )
    with pytest.raises(SpecError, match=r"elements\[1\].derived_by: missing, and the segment"):
        load_segment_spec(path)


def test_a_derivation_must_name_a_function_of_the_segment_builders(tmp_path):
    path = _copy_with(
        tmp_path, "DIPLOMA", "built_by: onsis_batch.segments.", "built_by: onsis_batch.render."
    )
    with pytest.raises(SpecError, match=r"built_by: .* is not like 'onsis_batch.segments.module"):
        load_segment_spec(path)


# --- per-element functions: the expression is the element's, for every kind of row ----------


def _element_functions() -> list[tuple[str, str, str]]:
    """(segment, element, reference) of the elements named to a function of (ctx, kind)."""
    found = []
    for segment, element, reference in DERIVED:
        assert reference is not None
        parameters = list(inspect.signature(resolve(reference)).parameters)
        if [p.lstrip("_") for p in parameters] == ["ctx", "kind"]:
            found.append((segment, element, reference))
    return found


def _row_kinds(function: Callable[..., Any]) -> tuple[str, ...]:
    """The values of the `kind` parameter's Literal type."""
    hints = typing.get_type_hints(function)
    kind = next(v for k, v in hints.items() if k.lstrip("_") == "kind")
    return typing.get_args(kind)


CONTEXTS = [
    SegmentContext(
        period=replace(period(private), kind=kind, last_school_day=date(2026, 6, 26)),
        tables={},
    )
    for kind in ("oct", "mar", "jun")
    for private in (False, True)
]
ELEMENT_FUNCTIONS = _element_functions()


def test_the_multi_kind_segments_name_one_function_per_element():
    named = {segment for segment, _, _ in ELEMENT_FUNCTIONS}
    assert {
        "STUDENT_SCHOOL_ENROLMENT",
        "STUDENT_CLASS_ENROLMENT",
        "SCHOOL_EDUCATOR_ASSIGNMENT",
    } <= named


@pytest.mark.parametrize(("segment", "element", "reference"), ELEMENT_FUNCTIONS)
def test_an_element_function_gives_that_element_for_every_kind_of_row(segment, element, reference):
    function = resolve(reference)
    kinds = _row_kinds(function)
    assert len(kinds) >= 2, f"{reference}: its kind is not a Literal of the row kinds"
    for ctx in CONTEXTS:
        for kind in kinds:
            expression = function(ctx, kind)
            assert isinstance(expression, pl.Expr)
            assert expression.meta.output_name() == element, (segment, kind, ctx.period.kind)


def _staged(stages: tuple[tuple[Callable[..., Any], ...], ...]) -> list[str]:
    return [ref(rule) for stage in stages for rule in stage]


@pytest.mark.parametrize(
    ("segment", "runs"),
    [
        ("STUDENT_SCHOOL_ENROLMENT", _staged(school_enrolment.ELEMENT_STAGES)),
        (
            "STUDENT_CLASS_ENROLMENT",
            _staged(class_enrolment.ELEMENT_STAGES)
            + [ref(rule) for rule in class_enrolment.JOINED_ELEMENTS],
        ),
        ("SCHOOL_EDUCATOR_ASSIGNMENT", [ref(rule) for rule in assignment_values.ELEMENTS]),
    ],
)
def test_the_builder_runs_exactly_the_functions_the_spec_names(segment, runs):
    named = {reference for s, _, reference in DERIVED if s == segment}
    assert len(runs) == len(set(runs)), "a function runs twice"
    assert set(runs) == named


# --- the generated reference ----------------------------------------------------------------


def test_the_elements_page_links_every_element_to_its_function_file():
    page = elements_markdown()
    root = Path(__file__).resolve().parents[1]
    for segment, element, reference in DERIVED:
        module, name = split_derivation(reference or "")
        path = module.replace(".", "/") + ".py"
        assert (root / path).is_file(), path
        short = module.removeprefix("onsis_batch.segments.")
        assert f"[`{short}:{name}`](../{path})" in page, (segment, element)
    assert "## STUDENT_SCHOOL_ENROLMENT" in page and "`SSE-UPD-NONRETURNING`" in page


def test_the_segments_page_links_the_elements_page():
    assert "[elements.md](elements.md)" in segments_markdown()


def test_the_segments_listing_gives_each_element_its_function():
    detail, _ = segment_listing("diploma")
    by_name = {e["name"]: e["derived_by"] for e in detail["elements"]}
    assert by_name == {
        "ACTION": None,
        "TYPE": "onsis_batch.segments.credentials.diploma:decided_diplomas",
        "CERTIFICATE_ISSUED": "onsis_batch.segments.credentials.diploma:decided_diplomas",
    }
