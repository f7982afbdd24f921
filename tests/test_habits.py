"""The habits of the code base, checked on every run: small modules, short functions where the work is."""

from __future__ import annotations

import ast
import re
from collections import Counter
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "samzoo"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: where a long function hides the most: the stage pipelines of the three tools
SHORT_FUNCTION_PACKAGES = ("builder", "validate", "resolver")


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


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


def test_no_two_modules_share_a_file_name():
    """A report's check, a command or a package kind names one file: no two modules may look alike."""
    names = Counter(p.name for p in _modules() if p.name != "__init__.py")
    assert not [n for n, c in names.items() if c > 1], f"module names used twice: {sorted(n for n, c in names.items() if c > 1)}"


#: declared for a dependency that imports them without declaring them (segment_anything, mobile_sam)
UNDECLARED_BY_OTHERS = {"torchvision", "timm"}
#: used as a program, not imported
PROGRAMS = {"uv"}


def _imported_top_level_names() -> set[str]:
    names: set[str] = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_imported():
    """pyproject's dependencies are what samzoo imports (or runs), nothing stale and nothing twice."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    declared = [re.split(r"[<>=!~\[ ;]", d)[0].lower().replace("_", "-")
                for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]]
    assert len(declared) == len(set(declared)), f"declared twice: {[d for d, c in Counter(declared).items() if c > 1]}"
    by_module = packages_distributions()
    imported = {d.lower().replace("_", "-") for m in _imported_top_level_names() for d in by_module.get(m, [])}
    stale = sorted(set(declared) - imported - UNDECLARED_BY_OTHERS - PROGRAMS)
    assert not stale, f"declared but never imported by samzoo: {stale}"
