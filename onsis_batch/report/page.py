"""The jinja2 environment of the HTML outputs: one self-contained file, escaped values."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onsis_batch.resources import package_file


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(package_file("report", "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **values: Any) -> str:
    """The page `template` (a file in onsis_batch/report/templates) filled with `values`."""
    return _environment().get_template(template).render(**values)
