"""The core-version matrix: the zoo's test of one package under several ``bioimageio.core`` releases,
each in an isolated environment built from the package's environment.yaml (:func:`run_core_matrix`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..result import CoreResult

if TYPE_CHECKING:
    from ..checks.source import OpenedPackage
    from ..environment_file import EnvRequirements


def run_core_matrix(source: str | Path, pkg: OpenedPackage, rdf: dict[str, Any] | None, cores: tuple[str, ...]) -> tuple[CoreResult, ...]:
    """The zoo's test under each release; the package as the zoo gets it (the zip and its sha256, or the rdf)."""
    from ...plumbing.hashing import file_hash
    from ..environment_file import EnvironmentFileError, environment_path, read_environment
    from .zoo_test import run_matrix

    if rdf is None:
        return tuple(CoreResult(c, "failed", "the rdf could not be read (see format)") for c in cores)
    path = Path(source)
    if path.is_file() and path.suffix.lower() == ".zip":
        zoo_source, sha256 = str(path.resolve()), file_hash(path, "sha256").split(":", 1)[-1]
    else:
        zoo_source, sha256 = str(pkg.rdf.resolve()) if path.is_dir() else str(path.resolve()), None
    env_file = environment_path(rdf, pkg.root)
    try:
        env = read_environment(env_file) if env_file else _default_env(rdf)
    except EnvironmentFileError as e:
        return tuple(CoreResult(c, "failed", f"the environment file cannot be used: {e}") for c in cores)
    return run_matrix(zoo_source, sha256, env, cores, format_version=str(rdf.get("format_version") or "") or None)


def _default_env(rdf: dict) -> EnvRequirements:
    """No environment file: what bioimageio.spec's ``get_conda_env`` recommends for pytorch weights (its torch)."""
    from ..environment_file import EnvRequirements, weights_entry

    entry = weights_entry(rdf, "pytorch_state_dict") or weights_entry(rdf, "torchscript") or {}
    version = entry.get("pytorch_version") if isinstance(entry, dict) else None
    return EnvRequirements((f"torch=={version}" if version else "torch",), "", ())
