"""The one YAML reader of the project: plain strings unless JSON would say otherwise.

Every YAML file the tool or its user writes is read here (D470):

- Scalars resolve as in JSON: `null`, `~` or nothing is None, `true`/`false` (lower case)
  are booleans, numbers without a leading zero (`0`, `12`, `-3`, `0.5`, `1e3`) are int or
  float. Everything else is a string: `OFF`, `NO`, `Y`, `yes`, `0003`, `08`, `2025-10-31`
  (a date stays text; the schema that wants a date parses it), `1_000`, `0x1F`, `.inf`.
- A key written twice in one mapping is an error naming the file and both lines. Merge
  keys (`<<: *rows`) are allowed; the mapping's own keys win over merged ones.
- Only the standard tags of those types may be written explicitly (`!!str 12`); any other
  tag (`!!timestamp`, `!!binary`, `!!set`, `!custom`) is an error.
- `read_yaml(path, shape)` also refuses keys the shape does not allow, naming each by its
  key path (`elements[2].mandatoy_on: unknown key`).

Problems raise `YamlError`, which carries the file, the line (when known) and the problem
as data, so user files (config, overrides, table maps) turn them into findings while the
files the tool ships fail loudly as internal errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

Shape: TypeAlias = "Mapping[str, Shape] | list[Shape] | None"
"""The keys a YAML value may hold: a mapping of key to the shape of its value (the key
`ANY_KEY` stands for every other key), `[item shape]` for a list, None for anything."""

T = TypeVar("T")
ANY_KEY = "*"
_ROOT = Path(__file__).resolve().parent.parent  # the checkout, or site-packages

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_NUMBER_START = list("-0123456789")
_SCALARS: dict[str, tuple[list[str], re.Pattern[str]]] = {  # tag -> (first characters, form)
    "null": (["~", "n", ""], re.compile(r"~|null|")),  # "": a key or item with no value
    "bool": (["t", "f"], re.compile(r"true|false")),
    "int": (_NUMBER_START, re.compile(r"-?(?:0|[1-9][0-9]*)")),
    "float": (
        _NUMBER_START,
        re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)"),
    ),
}


class SpecError(ValueError):
    """A data file is malformed; the message names the file and the key path."""


class YamlError(SpecError):
    """A YAML file breaks the strict rules: its `file`, `line` (when known) and `problem`.

    A file given as a Path is named as `file_label` names it.
    """

    def __init__(self, file: str | Path, problem: str, line: int | None = None) -> None:
        file = file if isinstance(file, str) else file_label(file)
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")
        self.file, self.problem, self.line = file, problem, line

    @property
    def detail(self) -> str:
        """The problem with its line, for a finding that names the file already."""
        return f"line {self.line}: {self.problem}" if self.line is not None else self.problem


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]  # the C loader is chosen at run time
    """PyYAML's safe loader with JSON scalars, no repeated keys and no other tags."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """A string scalar is its text; every other node goes through PyYAML's constructor.

        Strings are most of the nodes of the files read on every run, and `!!str` builds
        nothing but `node.value`: taking it directly skips PyYAML's per-node bookkeeping
        (about a third of the reading time, D1004).
        """
        if node.tag == _STR and type(node) is ScalarNode:
            return node.value
        return super().construct_object(node, deep)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """The mapping of a node, refusing a key its own pairs repeat."""
        lines: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _TAG + "merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in lines:
                raise _Problem(f"key {key!r} is repeated (first on line {lines[key]})", line)
            lines[key] = line
        mapping: dict[Hashable, Any] = SafeConstructor.construct_mapping(self, node, deep)
        return mapping


class _Problem(Exception):
    """A problem met inside the loader, at a line; `parse_yaml` adds the file."""

    def __init__(self, problem: str, line: int) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


def _typed_scalar(kind: str) -> Any:
    """The constructor of an explicit or implicit `!!<kind>` scalar."""
    pattern = _SCALARS[kind][1]
    convert: dict[str, Callable[[str], Any]] = {
        "null": lambda _: None,
        "bool": lambda v: v == "true",
        "int": int,
        "float": float,
    }

    def construct(loader: _Loader, node: ScalarNode) -> Any:
        value = loader.construct_scalar(node)
        if not pattern.fullmatch(value):
            raise _Problem(f"{value!r} is not a valid !!{kind}", node.start_mark.line + 1)
        return convert[kind](value)

    return construct


def _unknown_tag(_loader: _Loader, node: Node) -> Any:
    raise _Problem(f"the tag {node.tag} is not allowed here", node.start_mark.line + 1)


_Loader.yaml_implicit_resolvers = {}  # none of PyYAML's YAML 1.1 ones
_Loader.yaml_constructors = {}
for _kind, (_first, _pattern) in _SCALARS.items():
    anchored = re.compile(f"^(?:{_pattern.pattern})$")  # the resolver only calls match()
    _Loader.add_implicit_resolver(_TAG + _kind, anchored, _first)
    _Loader.add_constructor(_TAG + _kind, _typed_scalar(_kind))
_Loader.add_implicit_resolver(_TAG + "merge", re.compile(r"^<<$"), ["<"])
_Loader.add_constructor(_TAG + "null", _typed_scalar("null"))
_Loader.add_constructor(_TAG + "str", SafeConstructor.construct_yaml_str)
_Loader.add_constructor(_TAG + "seq", SafeConstructor.construct_yaml_seq)
_Loader.add_constructor(_TAG + "map", SafeConstructor.construct_yaml_map)
_Loader.add_constructor(None, _unknown_tag)


def parse_yaml(text: str, file: str) -> Any:
    """The value of one YAML document under the strict rules; `file` names it in errors."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: builds plain data only
    except _Problem as problem:
        raise YamlError(file, problem.problem, problem.line) from None
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        reason = ", ".join(str(p) for p in (problem.context, problem.problem) if p)
        raise YamlError(file, reason, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as problem:
        raise YamlError(file, str(problem)) from None


def read_yaml(path: Path, shape: Shape = None, *, name: str | None = None) -> Any:
    """The value of a YAML file, with every key checked against `shape`.

    `name` is how errors call the file (default: its path from the checkout, or as given).
    """
    file = name or file_label(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise YamlError(file, f"cannot be read ({problem})") from None
    value = parse_yaml(text, file)
    unknown = unknown_keys(value, shape)
    if unknown:
        raise YamlError(file, "; ".join(f"{path}: unknown key" for path in unknown))
    return value


def read_checked(path: Path, shape: Shape, build: Callable[[Any], T]) -> T:
    """`build` applied to a data file's value, after `read_yaml` checked it against `shape`.

    A SpecError that `build` raises says the key path and the problem; it is raised again
    as a YamlError naming the file.
    """
    value = read_yaml(path, shape)
    try:
        return build(value)
    except YamlError:
        raise
    except SpecError as problem:
        raise YamlError(path, str(problem)) from None


def file_label(path: Path) -> str:
    """A file as errors name it: from the checkout (`segment_specs/DIPLOMA.yaml`) or as given."""
    try:
        return Path(path).resolve().relative_to(_ROOT).as_posix()
    except ValueError:
        return str(path)


def unknown_keys(value: Any, shape: Shape, path: str = "") -> list[str]:
    """The key paths in `value` that `shape` does not allow, in file order.

    Only mappings and lists the shape describes are walked; a value of another type is
    left for the schema that reads it to judge.
    """
    return list(_unknown(value, shape, path))


def _unknown(value: Any, shape: Shape, path: str) -> Iterator[str]:
    if isinstance(shape, list) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unknown(item, shape[0], f"{path}[{i}]")
    elif isinstance(shape, Mapping) and isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in shape:
                yield from _unknown(item, shape[key], where)
            elif ANY_KEY in shape:
                yield from _unknown(item, shape[ANY_KEY], where)
            else:
                yield where


def record_keys(
    record: type, *, leave_out: tuple[str, ...] = (), **nested: Shape
) -> dict[str, Shape]:
    """The shape of a dataclass written as a mapping: its fields, some with nested shapes."""
    keys: dict[str, Shape] = {f.name: None for f in fields(record) if f.name not in leave_out}
    return keys | nested
