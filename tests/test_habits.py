"""The habits of the code base, checked on every run: small modules, short functions where the work is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "samzoo"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: where a long function hides the most: the stage pipelines of the three tools
SHORT_FUNCTION_PACKAGES = ("builder", "validate", "resolver")


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_source_tree_is_found():
    assert len(_modules()) > 30, f"expected samzoo's modules under {SRC}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_small(path: Path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(SRC)} has {lines} lines; split it by job (<= {MAX_MODULE_LINES})"


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


@pytest.mark.parametrize("package", SHORT_FUNCTION_PACKAGES)
def test_functions_are_short(package: str):
    found = {str(p.relative_to(SRC)): _long_functions(p) for p in sorted((SRC / package).rglob("*.py"))}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines (make them a sequence of named steps): {found}"
