"""Run every check on one package: :func:`validate_package` (many packages: :mod:`samzoo.validate.many_packages`)."""

from __future__ import annotations

import base64
import contextlib
import tempfile
import time
import warnings
from pathlib import Path
from collections.abc import Callable, Sequence

from ..plumbing.errors import ArgumentError
from ..plumbing.untrusted import InputLimitError, read_bytes_bounded
from .checks.environment import check_environment
from .checks.partner_gates import check_partner_gates
from .checks.files import check_files
from .checks.format import check_format, read_rdf
from .core_matrix.releases import check_core_versions
from .environment_file import EnvRequirements, weights_entry
from .checks.zoo import check_zoo
from .checks.identity import check_identity
from .run_checks import Checks, quiet_libraries, run_model_checks, temp_files_in
from .model_worker import ModelWorker
from .result import CheckResult, CoreResult, PackageReport
from .model_session import resolve_device
from .checks.source import OpenedPackage, SourceError, open_package

_COVER_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
_COVER_MAX = 2 * 1024 * 1024


def _cover_uri(rdf: dict, root: Path) -> str | None:
    """The first local cover as a ``data:`` URI (None when there is none, or it is not a small image file)."""
    covers = rdf.get("covers")
    for c in covers if isinstance(covers, list) else []:
        src = c.get("source") if isinstance(c, dict) else c
        if not isinstance(src, str) or "://" in src or ".." in src:
            continue
        path = root / src
        mime = _COVER_TYPES.get(path.suffix.lower())
        try:
            data = read_bytes_bounded(path, _COVER_MAX, "cover") if mime else None
        except (InputLimitError, ValueError):
            continue
        if data is not None:
            return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return None


def _text(value: object) -> str | None:
    """A scalar rdf field as text for the report (None for missing or structured values)."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) else None


def validate_package(
    source: str | Path, device: str = "cpu", quick: bool = False, core_versions: Sequence[str] = (),
    catalog: str | Path | None = None, on_check: Callable[[str], None] | None = None, weight_format: str | None = None,
    isolate: bool = False,
) -> PackageReport:
    """Validate one package (zip, folder or rdf.yaml) and return its report; never raises for a bad package.

    Args:
        source: a package zip, an unpacked package folder, or its rdf.yaml.
        device: cpu, cuda, cuda:N or auto (cuda when torch sees a GPU).
        quick: skip the one SAM encoder pass (``sam_image_only``, ``encoder``).
        core_versions: bioimageio.core releases (``"0.10.4"``) to run the zoo's test under, each in an
            isolated environment built from the package's environment.yaml (:mod:`.core_matrix`); one result per release.
        catalog: a folder of extra model specs for the ``identity`` check; samzoo's own catalog is always
            used, the user's (``SAMZOO_CATALOG``) never, so the verdict is the same on every machine.
        on_check: called with each check's name as it starts (for progress displays).
        weight_format: test only this weight format (``torchscript``, ...); by default ``inference`` tests the
            first declared format that can run here and ``weight_formats`` every other one.
        isolate: run the checks that execute the package's code in a fresh worker process
            (:mod:`.model_worker`): a crash of that code fails the package instead of ending the caller,
            and the worker's imports overlap with the file checks (faster from a cold start, slower
            where torch is imported already). :func:`~samzoo.validate.validate_many` and the CLI do.

    Returns:
        A :class:`PackageReport`: ``passed``, ``status``, ``checks`` (name, status, message, seconds, details).

    Raises:
        ArgumentError: ``device`` is unknown, or cuda without a GPU. A bad package never raises: it fails checks.

    Example::

        report = samzoo.validate_package("model.zip", quick=True)
        print(report.status, [c.name for c in report.checks if c.status == "failed"])
    """
    with ModelWorker() if isolate else contextlib.nullcontext() as worker:
        return validate_with(worker, source, device, quick, core_versions, catalog, on_check, weight_format)


def validate_with(
    worker: ModelWorker | None, source: str | Path, device: str = "cpu", quick: bool = False,
    core_versions: Sequence[str] = (), catalog: str | Path | None = None,
    on_check: Callable[[str], None] | None = None, weight_format: str | None = None,
) -> PackageReport:
    """:func:`validate_package` with the model checks in ``worker`` (None: in this process).

    One worker serves the packages of a run in turn, so its imports are paid once."""
    device = resolve_device(device)
    cores = check_core_versions(core_versions)
    catalog_dir = check_catalog_dir(catalog)
    check_weight_format(weight_format)
    with warnings.catch_warnings():
        quiet_libraries()
        return _validate(source, device, quick, cores, catalog_dir, on_check, weight_format, worker)


def check_weight_format(weight_format: str | None) -> None:
    """ArgumentError (``weight_format``) for a name that is not a BioImage.IO weight format."""
    from ..plumbing.runtimes import WEIGHT_FORMATS

    if weight_format is not None and weight_format not in WEIGHT_FORMATS:
        raise ArgumentError("weight_format", f"unknown weight format {weight_format!r}; choose from {', '.join(WEIGHT_FORMATS)}")


def _validate(source: str | Path, device: str, quick: bool, cores: tuple[str, ...], catalog_dir: Path | None,
              on_check: Callable[[str], None] | None, weight_format: str | None = None,
              worker: ModelWorker | None = None) -> PackageReport:
    start = time.perf_counter()
    if worker is not None:
        worker.start()  # its imports run while the package is unpacked and checked
    checks = Checks(on_check)
    checks.announce("source")
    meta: dict = {}
    with tempfile.TemporaryDirectory(prefix="samzoo-validate-") as tmp, temp_files_in(Path(tmp) / "tmp"):
        try:
            pkg = open_package(source, Path(tmp))
        except SourceError as e:
            checks.results["source"] = CheckResult("source", "failed", str(e), round(time.perf_counter() - start, 3))
            checks.skip_rest("the package could not be opened (see source)")
        else:
            checks.results["source"] = CheckResult("source", "passed", f"{pkg.rdf.name} in {'a zip' if Path(tmp) in pkg.root.parents else pkg.root}", round(time.perf_counter() - start, 3))
            rdf = _validate_opened(pkg, device, quick, checks, meta, catalog_dir, weight_format, worker, Path(tmp) / "model")
            if cores:
                meta["cores"] = _core_matrix(source, pkg, rdf, cores)
    return PackageReport(
        source=str(source), checks=checks.ordered(), seconds=round(time.perf_counter() - start, 3),
        device=device, quick=quick, **meta,
    )


def check_catalog_dir(catalog: str | Path | None) -> Path | None:
    if catalog is None:
        return None
    path = Path(catalog).expanduser()
    if not path.is_dir():
        raise ArgumentError("catalog", f"{catalog} is not a folder of model specs")
    return path


def _core_matrix(source: str | Path, pkg: OpenedPackage, rdf: dict | None, cores: tuple[str, ...]) -> tuple[CoreResult, ...]:
    """The zoo's test under each release; the package as the zoo gets it (the zip and its sha256, or the rdf)."""
    from ..plumbing.hashing import file_hash
    from .environment_file import EnvironmentFileError, environment_path, read_environment
    from .core_matrix.zoo_test import run_matrix

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
    from .environment_file import EnvRequirements

    entry = weights_entry(rdf, "pytorch_state_dict") or weights_entry(rdf, "torchscript") or {}
    version = entry.get("pytorch_version") if isinstance(entry, dict) else None
    return EnvRequirements((f"torch=={version}" if version else "torch",), "", ())


def _validate_opened(pkg: OpenedPackage, device: str, quick: bool, checks: Checks, meta: dict,
                     catalog_dir: Path | None, weight_format: str | None, worker: ModelWorker | None,
                     scratch: Path) -> dict | None:
    """The checks of an opened package: format, files, zoo, identity, environment, then inference on one loaded model.

    ``scratch``: a folder (not yet there) for the model worker's temporary files, inside the validation's own."""
    rdf, error = read_rdf(pkg.rdf)
    if error is not None:
        checks.results["format"] = error
        checks.skip_rest("the rdf could not be read (see format)")
        return None
    if worker is not None:  # the model checks start now, beside the file checks; dropped if those fail
        worker.submit(pkg.rdf, device, quick, weight_format, scratch)
    meta.update(
        name=_text(rdf.get("name")), model_id=_text(rdf.get("id")), version=_text(rdf.get("version")),
        cover=_cover_uri(rdf, pkg.root),
        rdf_type=str(rdf["type"]) if rdf.get("type") else None,
        format_version=str(rdf["format_version"]) if rdf.get("format_version") else None,
    )
    holder: dict = {}

    def fmt() -> CheckResult:
        holder["descr"], result = check_format(pkg.rdf)
        return result

    checks.run("format", fmt)
    checks.run("files", lambda: check_files(rdf, pkg.root))
    checks.run("zoo", lambda: check_zoo(rdf, pkg.root))
    checks.run("identity", lambda: check_identity(rdf, pkg.root, catalog_dir))
    checks.run("environment", lambda: check_environment(rdf, pkg.root))
    checks.run("partner_gates", lambda: check_partner_gates(rdf))
    descr = holder.get("descr")
    problem = ("the description is invalid (see format)" if descr is None else
               "package files are missing or corrupt (see files)" if checks.results["files"].status == "failed" else None)
    if problem is not None:
        if worker is not None:
            worker.discard()
        checks.skip_rest(problem)
    elif worker is not None:
        checks.results.update(worker.collect(checks.announce))
        checks.skip_rest("not run")
    else:
        run_model_checks(descr, rdf, device, quick, checks, weight_format)
    return rdf


def crashed_report(source: str, message: str, device: str = "cpu", quick: bool = False) -> PackageReport:
    """The report of a package whose validation did not finish (e.g. its worker process died)."""
    checks = Checks()
    checks.results["source"] = CheckResult("source", "failed", message)
    checks.skip_rest("validation did not finish (see source)")
    return PackageReport(source=source, checks=checks.ordered(), device=device, quick=quick)
