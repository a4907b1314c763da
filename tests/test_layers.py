"""Dependencies point one way: no module imports a module of a higher layer.

shared (the root modules) < period < sources, pae < plan < segments < render, validate
< report, tools, synth < run < cli. Every import counts: at the top of a module, inside a
function, or under TYPE_CHECKING. Imports within one layer are fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import onsis_batch

PACKAGE = Path(onsis_batch.__file__).parent
LAYERS = [
    ["period"],
    ["sources", "pae"],
    ["plan"],
    ["segments"],
    ["render", "validate"],
    ["report", "tools", "synth"],
    ["run"],
    ["cli"],
]
RANK = {folder: rank for rank, folders in enumerate(LAYERS, start=1) for folder in folders}
SHARED, TOP = 0, len(LAYERS)
ENTRY_POINTS = {"onsis_batch.__main__"}  # `python -m onsis_batch` runs the command line


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The layer of `onsis_batch[.folder[...]]`; a root module is shared."""
    if module in ENTRY_POINTS:
        return TOP
    parts = module.split(".")
    if len(parts) == 1 or not (PACKAGE / parts[1] / "__init__.py").is_file():
        return SHARED  # a root module (`contract.py` sits beside a `contract/` data folder)
    return RANK[parts[1]]


def imported(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) of every import of an onsis_batch module anywhere in `tree`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found.append((node.lineno, base))
            # `from onsis_batch import cli` imports the package `cli`
            found += [
                (node.lineno, f"{base}.{alias.name}")
                for alias in node.names
                if _is_module(f"{base}.{alias.name}")
            ]
    return [(line, name) for line, name in found if name.split(".")[0] == "onsis_batch"]


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts[: len(parts) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return (path / "__init__.py").is_file() or path.with_suffix(".py").is_file()


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, target in imported(tree, module, path.name == "__init__.py"):
            if layer(target) > layer(module):
                where = path.relative_to(PACKAGE.parent)
                problems.append(f"{where}:{line}: {module} imports {target}")
    return problems


def test_every_folder_has_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders - set(RANK) == set(), "give the new folder a layer in LAYERS"


def test_no_module_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_check_sees_imports_inside_functions_and_type_checking_blocks():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from onsis_batch.run.pipeline import generate\n"
        "def f():\n"
        "    import onsis_batch.cli\n"
        "    from .. import report\n"
    )
    found = imported(ast.parse(source), "onsis_batch.period.config", False)
    assert [name for _, name in found] == [
        "onsis_batch.run.pipeline",
        "onsis_batch.cli",
        "onsis_batch",
        "onsis_batch.report",
    ]
    assert all(layer(name) > layer("onsis_batch.period.config") for _, name in found[:2])
    assert layer("onsis_batch.report") > layer("onsis_batch.period.config")
