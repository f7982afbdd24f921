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


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's lines without its docstring (a public function's Args/Raises/Example are not work)."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.name} ({_code_lines(node)} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > MAX_FUNCTION_LINES
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


MAX_POSITIONAL = 6


def _many_positional(path: Path) -> list[str]:
    """Functions taking more than :data:`MAX_POSITIONAL` positional parameters (``self``/``cls`` not counted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args) if a.arg not in ("self", "cls")]
            if len(params) > MAX_POSITIONAL:
                found.append(f"{node.name} ({len(params)})")
    return found


#: ``sam_ais.__init__`` is an architecture shipped in packages: bioimageio.core calls it with the rdf's kwargs.
KNOWN_MANY_POSITIONAL = {"architectures/sam_ais.py": ["__init__ (10)"]}


def test_functions_take_few_positional_parameters():
    found = {str(p.relative_to(SRC)): _many_positional(p) for p in _modules()}
    found = {k: v for k, v in found.items() if v}
    new = {k: [f for f in v if f not in KNOWN_MANY_POSITIONAL.get(k, [])] for k, v in found.items()}
    new = {k: v for k, v in new.items() if v}
    assert not new, f"functions with more than {MAX_POSITIONAL} positional parameters (make the rest keyword-only or an object): {new}"
    gone = {k: [f for f in v if f not in found.get(k, [])] for k, v in KNOWN_MANY_POSITIONAL.items()}
    assert not {k: v for k, v in gone.items() if v}, f"fixed: remove them from KNOWN_MANY_POSITIONAL: {gone}"


def test_no_lazy_name_is_also_a_submodule():
    """A package's lazy attribute must not share its name with a submodule: importing the submodule would shadow it."""
    import importlib
    import pkgutil

    for init in sorted(SRC.rglob("__init__.py")):
        package = ".".join(init.parent.relative_to(SRC.parent).parts)
        lazy = getattr(importlib.import_module(package), "_LAZY", None)
        if not lazy:
            continue
        submodules = {m.name for m in pkgutil.iter_modules([str(init.parent)])}
        assert not set(lazy) & submodules, f"{package}: lazy names that are also submodules: {sorted(set(lazy) & submodules)}"
