"""The core-version matrix: the zoo's compatibility test of one package under several ``bioimageio.core`` releases.

For each release, an isolated environment is built (or taken from the cache,
:mod:`.envs`) from the package's own ``environment.yaml`` mapped to PyPI
(:mod:`.environment_file`) plus that release and the spec/pydantic it works
with (:mod:`.releases`). In it, ``zoo_test_script.py`` runs what the zoo
runs: ``test_description(source, sha256=..., determinism="full")``; the
environment is the one the package describes, which is what the zoo's
``runtime_env="as-described"`` builds with conda. A release passes, as on the
zoo, when the test passed or its "Reproduce test outputs" step passed. Every
failure is one line that names its cause; an environment that cannot be built
is a failed release, never a crash.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from .releases import KNOWN_RELEASES, core_requirements
from ..environment_file import EnvRequirements
from .env_script import EnvScriptError, run_env_script
from .envs import EnvBuildError, ensure_env
from ..result import CoreResult
from ...plumbing.errors import one_line
from ..model_session import explain_load_error

SCRIPT = Path(__file__).with_name("zoo_test_script.py")
#: how long one release's test may run
TEST_TIMEOUT_S = 1800


def _python_for(env: EnvRequirements) -> str | None:
    """The interpreter to base environments on: samzoo's own if it satisfies the package's ``python`` pin."""
    if not env.python:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        if SpecifierSet(env.python).contains(".".join(map(str, sys.version_info[:3]))):
            return None
    except InvalidSpecifier:
        return None
    return env.python  # let uv find an installed interpreter that does


def explain(details: list[dict[str, Any]], spec: str | None, format_version: str | None) -> str:
    """One line naming why a release failed, from the summary's failed details."""
    failed = [d for d in details if d.get("status") == "failed"] or details
    if not failed:
        return "the test failed without details"
    errors = [(d, e) for d in failed for e in d.get("errors") or []]
    for _, e in errors:
        cause = explain_load_error(e.get("msg", "") + " " + " ".join(e.get("causes") or []))
        if cause:
            return cause
    d0 = failed[0]
    name = str(d0.get("name", ""))
    if "format validation" in name:
        locs = "; ".join(f"{e.get('loc')}: {one_line(e.get('msg'), 60)}" for _, e in errors[:2] if e in (d0.get("errors") or []))
        return (f"bioimageio.spec {spec or '?'} cannot read this package (format_version {format_version or '?'}): "
                f"{locs or one_line(name, 120)}")
    for d, e in errors:
        causes = [c for c in e.get("causes") or [] if not c.startswith("ImportError: Failed to import")]
        if "Failed to import" in e.get("msg", "") and causes:
            return f"{d.get('name')}: the architecture cannot be imported here: {one_line(causes[0], 160)} (is it in environment.yaml?)"
    if errors:
        d, e = errors[0]
        cause = (e.get("causes") or [""])[0]
        return one_line(f"{d.get('name')}: {e.get('msg')}" + (f" ({cause})" if cause and cause not in e.get("msg", "") else ""), 300)
    return one_line(f"{name}: failed", 300)


def zoo_passed(summary: dict[str, Any]) -> bool:
    """The zoo's rule: the test passed, or its "Reproduce test outputs" step passed."""
    if summary.get("status") == "passed":
        return True
    return any(str(d.get("name", "")).startswith("Reproduce test outputs") and d.get("status") == "passed"
               for d in summary.get("details") or [])


def _run_script(python: Path, source: str, sha256: str | None) -> dict[str, Any]:
    """Run the zoo's call in the environment's interpreter; the summary it wrote (a failed one when it wrote none)."""
    try:
        return run_env_script(python, SCRIPT, [source, sha256 or "-"], TEST_TIMEOUT_S)
    except EnvScriptError as e:
        status, name = ("timeout", "test_description") if e.timed_out else ("crashed", "test process")
        return {"status": status, "details": [{"name": name, "status": "failed", "errors": [{"loc": "", "msg": str(e)}]}]}


def check_release(source: str, sha256: str | None, env_reqs: EnvRequirements, core: str,
                 format_version: str | None = None) -> CoreResult:
    """One row of the matrix: build or reuse the environment for ``core``, run the zoo's test in it."""
    start = time.perf_counter()
    requirements = (*env_reqs.requirements, *core_requirements(core))
    try:
        env = ensure_env(requirements, python=_python_for(env_reqs))
    except EnvBuildError as e:
        return CoreResult(core, "failed", f"the environment could not be built: {one_line(e, 260)}",
                          install_seconds=round(time.perf_counter() - start, 3), unmapped=env_reqs.unmapped,
                          requirements=requirements)
    install = env.seconds if env.installed else 0.0
    test_start = time.perf_counter()
    summary = _run_script(env.python, source, sha256)
    seconds = round(time.perf_counter() - test_start, 3)
    spec = summary.get("spec") or KNOWN_RELEASES.get(core)
    common = {"seconds": seconds, "install_seconds": round(install, 3), "installed": env.installed, "env": env.key,
              "spec": spec, "unmapped": env_reqs.unmapped, "requirements": env.requirements}
    if summary.get("core") not in (None, core):
        return CoreResult(core, "failed", f"the environment has bioimageio.core {summary.get('core')}, not {core}", **common)
    if zoo_passed(summary):
        how = "reproduced its test outputs" if summary.get("status") != "passed" else "passed"
        return CoreResult(core, "passed", f"test_description {how} (bioimageio.spec {spec})", **common)
    return CoreResult(core, "failed", explain(summary.get("details") or [], spec, format_version), **common)


def run_matrix(source: str, sha256: str | None, env_reqs: EnvRequirements, core_versions: Sequence[str],
               format_version: str | None = None) -> tuple[CoreResult, ...]:
    """Every release in turn (environments are large; building them one at a time keeps the machine usable)."""
    return tuple(check_release(source, sha256, env_reqs, core, format_version) for core in core_versions)
