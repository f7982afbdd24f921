"""``environment``: the package's environment.yaml provides what its architecture file imports (static, no install).

* every module the architecture file imports (outside the standard library and
  what bioimageio.core itself brings) is provided by a dependency: a missing
  one fails (the zoo's environment could not import the architecture);
* every dependency has at least a lower bound (``>=``, ``==``, ``~=``): warning;
* no dependency the architecture does not need (directly or through a module it
  imports): warning; conda names that cannot be mapped to PyPI: warning.

Imports guarded by ``try``/``except ImportError`` (and their fallbacks in the
``except`` block) and imports inside functions (which run only when called, e.g.
one branch per model type) are optional: not required, but they make the
dependency that provides them needed.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

from ..environment_file import EnvironmentFileError, environment_path, read_environment, weights_entry
from ..result import CheckResult
from ...plumbing.errors import one_line
from ..check_spec import Check, PackageContext

#: module -> the PyPI distributions that provide it (where the names differ)
MODULE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "segment_anything": ("segment-anything", "segment-anything-py"),
    "mobile_sam": ("mobilesam-mirror", "mobile-sam"),
    "skimage": ("scikit-image",), "sklearn": ("scikit-learn",), "cv2": ("opencv-python", "opencv-python-headless"),
    "PIL": ("pillow",), "yaml": ("pyyaml",), "micro_sam": ("micro-sam",), "elf": ("python-elf",),
}
#: what a module needs at run time without declaring it in its distribution's metadata
UNDECLARED_NEEDS: dict[str, tuple[str, ...]] = {"mobile_sam": ("timm", "torch"), "segment_anything": ("torch",)}
#: modules every bioimageio.core environment has (bioimageio.core's own dependencies)
RUNTIME_MODULES = frozenset({"numpy", "xarray", "scipy", "imageio", "pydantic", "loguru", "tqdm", "bioimageio",
                             "typing_extensions", "imagecodecs", "ruyaml"})
_URL_NAME = re.compile(r"/([A-Za-z0-9_.\-]+?)(?:\.git)?(?:@[^/#]*)?(?:#.*)?$")


def architecture_path(rdf: dict[str, Any], root: Path) -> Path | None:
    """The local architecture file of the pytorch_state_dict weights, if any."""
    entry = weights_entry(rdf, "pytorch_state_dict")
    arch = entry.get("architecture") if isinstance(entry, dict) else None
    source = arch.get("source") if isinstance(arch, dict) else None
    if not isinstance(source, str) or "://" in source or ".." in Path(source).parts:
        return None
    path = root / source
    return path if path.is_file() else None


def imported_modules(source: str) -> tuple[set[str], set[str]]:
    """(required, optional) top-level modules a Python file imports; guarded or in-function ones are optional."""
    tree = ast.parse(source)
    required: set[str] = set()
    optional: set[str] = set()

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.Import):
            (optional if guarded else required).update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                (optional if guarded else required).add(node.module.split(".")[0])
        elif isinstance(node, ast.Try):
            catches = any(h.type is None or any(n in ast.unparse(h.type) for n in ("ImportError", "ModuleNotFoundError", "Exception"))
                          for h in node.handlers)
            for stmt in node.body:
                visit(stmt, guarded or catches)
            for handler in node.handlers:  # the fallback of an import guard is an alternative, not a must
                visit(handler, guarded or catches)
            for part in (*node.orelse, *node.finalbody):
                visit(part, guarded)
        else:  # an import inside a function runs only when it is called (e.g. one branch per model type)
            inner = guarded or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for child in ast.iter_child_nodes(node):
                visit(child, inner)

    visit(tree, False)
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    return required - stdlib, (optional - required) - stdlib


def _dist_name(requirement: str) -> tuple[str | None, bool]:
    """(normalised distribution name, has a lower bound) of a requirement string or URL."""
    from packaging.requirements import InvalidRequirement, Requirement

    if "://" in requirement:
        m = _URL_NAME.search(requirement.split(" @ ")[-1])
        name = m.group(1) if m else None
        return (name.lower().replace("_", "-") if name else None), True  # a URL pins a source
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return None, False
    bounded = any(s.operator in (">=", "==", "~=", ">", "===") for s in req.specifier)
    return req.name.lower().replace("_", "-"), bounded


def _providers(module: str) -> set[str]:
    names = set(MODULE_PROVIDERS.get(module, ()))
    names.add(module.lower().replace("_", "-"))
    if module == "mobile_sam":
        names.add("mobilesam")  # git+https://github.com/ChaoningZhang/MobileSAM.git
    return names


def _brought_by_conda(env) -> set[str]:
    """Names added for conda packages' own run-time dependencies (not written in the file)."""
    from ..environment_file import CONDA_BRINGS

    return {_dist_name(r)[0] for reqs in CONDA_BRINGS.values() for r in reqs} - {
        _dist_name(r)[0] for r in env.requirements if r not in {x for v in CONDA_BRINGS.values() for x in v}}


def check_environment(rdf: dict[str, Any], root: Path) -> CheckResult:
    arch = architecture_path(rdf, root)
    if arch is None:
        return CheckResult("environment", "skipped", "no local pytorch_state_dict architecture file to check")
    env_file = environment_path(rdf, root)
    if env_file is None:
        return CheckResult("environment", "failed", "the pytorch_state_dict weights name no environment file (dependencies); "
                           "add an environment.yaml with what the architecture imports")
    try:
        required, optional = imported_modules(arch.read_text(encoding="utf-8"))
        env = read_environment(env_file)
    except (SyntaxError, UnicodeDecodeError, EnvironmentFileError) as e:
        return CheckResult("environment", "failed", one_line(e, 200))
    deps = {name: bounded for name, bounded in map(_dist_name, env.requirements) if name}
    needed_mods = (required | optional) - RUNTIME_MODULES
    missing, used = [], set()
    for module in sorted(needed_mods):
        provided_by = _providers(module) & set(deps)
        used |= provided_by
        if not provided_by and module in required:
            missing.append(module)
        if provided_by:
            used |= {n for need in UNDECLARED_NEEDS.get(module, ()) for n in _providers(need) if n in deps}
    if missing:
        return CheckResult("environment", "failed", f"{arch.name} imports {', '.join(missing)}, which {env_file.name} does not provide; add "
                           + ", ".join("/".join(sorted(MODULE_PROVIDERS.get(m, (m.replace('_', '-'),)))) for m in missing))
    warnings = []
    unbounded = sorted(n for n, b in deps.items() if not b)
    if unbounded:
        warnings.append(f"no lower bound for {', '.join(unbounded)}")
    unneeded = sorted(set(deps) - used - _brought_by_conda(env))
    if unneeded:
        warnings.append(f"{', '.join(unneeded)} not needed by {arch.name}")
    if env.unmapped:
        warnings.append(f"conda names with no known PyPI distribution: {', '.join(env.unmapped)}")
    what = f"{env_file.name} provides every module {arch.name} imports ({', '.join(sorted(needed_mods)) or 'none'})"
    if warnings:
        return CheckResult("environment", "warning", f"{what}; but {'; '.join(warnings)}")
    return CheckResult("environment", "passed", f"{what}, each with a lower bound, nothing unneeded")


def run(ctx: PackageContext) -> CheckResult:
    return check_environment(ctx.rdf, ctx.package.root)


CHECK = Check("environment", "any model", "rdf", run)
