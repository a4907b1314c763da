"""Locate the data folders that ship with the tool.

In a source checkout they sit at the repository root (`schemas/`, `segment_specs/`, ...);
in an installed wheel they are copied under `onsis_batch/_data/`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from onsis_batch.strict_yaml import read_yaml

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder `name` (e.g. "segment_specs"), wherever this install keeps it."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder {name!r} is missing from this installation")


def package_file(*parts: str) -> Path:
    """A file that lives inside the package itself (catalogs, contract, layouts)."""
    return _PACKAGE.joinpath(*parts)


@cache
def language_labels(path: str, lang: str) -> dict[str, Any]:
    """One language's labels (`en` or `fr`) from a package YAML file keyed by language."""
    labels = read_yaml(package_file(*path.split("/")), {"en": None, "fr": None})
    label: dict[str, Any] = labels[lang]
    return label
