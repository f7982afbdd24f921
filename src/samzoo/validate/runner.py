"""Run every check on a package (:func:`validate_package`) or on many, in parallel processes (:func:`validate_many`)."""

from __future__ import annotations

import base64
import contextlib
import json
import multiprocessing
import os
import tempfile
import time
import warnings
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Sequence

from ..errors import ArgumentError

from .checks_env import check_environment
from .checks_format import check_files, check_format, read_rdf
from .core_releases import check_core_versions
from .environment_file import EnvRequirements
from .checks_zoo import check_zoo
from .identity import check_identity
from .result import CHECK_NAMES, CheckResult, CoreResult, PackageReport, one_line
from .session import resolve_device
from .source import OpenedPackage, SourceError, open_package

_COVER_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
_COVER_MAX = 2 * 1024 * 1024


class _Checks:
    """Collects check results in order; runs each check guarded and timed."""

    def __init__(self) -> None:
        self.results: dict[str, CheckResult] = {}

    def run(self, name: str, fn: Callable[[], CheckResult | tuple[CheckResult, ...]]) -> None:
        start = time.perf_counter()
        try:
            out = fn()
        except Exception as e:  # a check must never crash the validation
            out = CheckResult(name, "failed", f"unexpected error: {type(e).__name__}: {one_line(e, 200)}")
        results = out if isinstance(out, tuple) else (out,)
        seconds = time.perf_counter() - start
        for i, r in enumerate(results):  # checks sharing one computation: its time goes to the first
            self.results[r.name] = CheckResult(r.name, r.status, r.message, round(seconds if i == 0 else 0.0, 3))

    def skip_rest(self, reason: str) -> None:
        for name in CHECK_NAMES:
            self.results.setdefault(name, CheckResult(name, "skipped", reason))

    def ordered(self) -> tuple[CheckResult, ...]:
        return tuple(self.results[n] for n in CHECK_NAMES if n in self.results)


def _quiet_libraries() -> None:
    """Keep bioimageio's loguru output and third-party warnings off the user's terminal."""
    try:
        from loguru import logger

        logger.disable("bioimageio")
    except ImportError:  # pragma: no cover
        pass
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


@contextlib.contextmanager
def _temp_files_in(folder: Path) -> Iterator[None]:
    """Point ``tempfile`` (used by bioimageio.core for its copy of the architecture file) into ``folder``."""
    folder.mkdir()
    old = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = old


def _cover_uri(rdf: dict, root: Path) -> str | None:
    for c in rdf.get("covers") or []:
        src = c.get("source") if isinstance(c, dict) else c
        if not isinstance(src, str) or "://" in src or ".." in src:
            continue
        path = root / src
        mime = _COVER_TYPES.get(path.suffix.lower())
        if mime and path.is_file() and path.stat().st_size <= _COVER_MAX:
            return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
    return None


def validate_package(
    source: str | Path, device: str = "cpu", quick: bool = False, core_versions: Sequence[str] = (),
    catalog: str | Path | None = None,
) -> PackageReport:
    """Validate one package (zip, folder or rdf.yaml) and return its report; never raises for a bad package.

    ``device``: cpu, cuda or auto (raises :class:`~samzoo.errors.SamzooError` for cuda without a GPU).
    ``quick`` skips the one SAM encoder pass (``sam_image_only``, ``encoder``).
    ``core_versions``: bioimageio.core releases (``"0.10.4"``) to run the zoo's test under, each in an
    isolated environment built from the package's environment.yaml (:mod:`.matrix`); one result per release.
    ``catalog``: a folder of extra model specs for the ``identity`` check; samzoo's own catalog is always
    used, the user's (``SAMZOO_CATALOG``) never, so the verdict is the same on every machine.
    """
    device = resolve_device(device)
    cores = check_core_versions(core_versions)
    catalog_dir = check_catalog_dir(catalog)
    _quiet_libraries()
    start = time.perf_counter()
    checks = _Checks()
    meta: dict = {}
    with tempfile.TemporaryDirectory(prefix="samzoo-validate-") as tmp, _temp_files_in(Path(tmp) / "tmp"):
        try:
            pkg = open_package(source, Path(tmp))
        except SourceError as e:
            checks.results["source"] = CheckResult("source", "failed", str(e), round(time.perf_counter() - start, 3))
            checks.skip_rest("the package could not be opened (see source)")
        else:
            checks.results["source"] = CheckResult("source", "passed", f"{pkg.rdf.name} in {'a zip' if Path(tmp) in pkg.root.parents else pkg.root}", round(time.perf_counter() - start, 3))
            rdf = _validate_opened(pkg, device, quick, checks, meta, catalog_dir)
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
    from ..hashing import file_hash
    from .environment_file import EnvironmentFileError, environment_path, read_environment
    from .matrix import run_matrix

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

    entry = (rdf.get("weights") or {}).get("pytorch_state_dict") or (rdf.get("weights") or {}).get("torchscript") or {}
    version = entry.get("pytorch_version") if isinstance(entry, dict) else None
    return EnvRequirements((f"torch=={version}" if version else "torch",), "", ())


def _validate_opened(pkg: OpenedPackage, device: str, quick: bool, checks: _Checks, meta: dict,
                     catalog_dir: Path | None = None) -> dict | None:
    """The checks of an opened package: format, files, zoo, identity, environment, then inference on one loaded model."""
    rdf, error = read_rdf(pkg.rdf)
    if error is not None:
        checks.results["format"] = error
        checks.skip_rest("the rdf could not be read (see format)")
        return None
    meta.update(
        name=str(rdf.get("name")) if rdf.get("name") else None,
        model_id=str(rdf["id"]) if rdf.get("id") else None,
        version=str(rdf["version"]) if rdf.get("version") is not None else None,
        cover=_cover_uri(rdf, pkg.root),
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
    descr = holder.get("descr")
    if descr is None:
        checks.skip_rest("the description is invalid (see format)")
        return rdf
    if checks.results["files"].status == "failed":
        checks.skip_rest("package files are missing or corrupt (see files)")
        return rdf
    _run_inference(descr, device, quick, checks)
    return rdf


def _run_inference(descr, device: str, quick: bool, checks: _Checks) -> None:
    """Load the model once; run inference, size probes and the SAM checks on it."""
    from . import checks_sam as sam
    from .checks_inference import check_reproduction, check_size_probes, tolerance
    from .session import ModelLoadError, ModelSession

    start = time.perf_counter()
    try:
        from bioimageio.core import enable_determinism

        enable_determinism("seed_only")
        session = ModelSession(descr, device)
    except Exception as e:
        msg = str(e) if isinstance(e, ModelLoadError) else f"could not load the model: {type(e).__name__}: {one_line(e, 200)}"
        checks.results["inference"] = CheckResult("inference", "failed", msg, round(time.perf_counter() - start, 3))
        checks.skip_rest("the model could not be loaded (see inference)")
        return
    load_seconds = time.perf_counter() - start
    try:
        problem = sam.sam_layout_problem(session)
        state = None
        if problem is None:
            try:
                state = sam.prepare(session)
            except Exception as e:
                problem = f"cannot read the test tensors: {one_line(e, 160)}"
        checks.run("inference", lambda: check_reproduction(session))
        checks.results["inference"] = _plus(checks.results["inference"], load_seconds)
        checks.run("size_probes", lambda: check_size_probes(session))
        if state is None:
            checks.skip_rest(problem or "not a SAM package")
            return
        checks.run("sam_prompts", lambda: sam.check_prompts(session, state))
        if quick:
            checks.skip_rest("skipped with --quick (needs an encoder pass)")
            return
        tol = tolerance(descr, session.weight_format, "embeddings")
        checks.run("sam_image_only", lambda: sam.check_image_only(session, state, lambda: ModelSession(descr, device), tol))
        checks.skip_rest("see sam_image_only")
    finally:
        session.close()


def _plus(result: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(result.name, result.status, result.message, round(result.seconds + seconds, 3))


# --- many packages -------------------------------------------------------------------------------


def crashed_report(source: str, message: str, device: str = "cpu", quick: bool = False) -> PackageReport:
    """The report of a package whose validation did not finish (its worker died)."""
    checks = _Checks()
    checks.results["source"] = CheckResult("source", "failed", message)
    checks.skip_rest("validation did not finish (see source)")
    return PackageReport(source=source, checks=checks.ordered(), device=device, quick=quick)


def _worker(source: str, device: str, options: dict, out_path: str, threads: int) -> None:
    """Child process: validate one package and write its report as JSON to ``out_path``."""
    import torch

    from ..allocator import keep_freed_memory

    keep_freed_memory()  # a process of our own: see samzoo.allocator
    torch.set_num_threads(max(1, threads))
    report = validate_package(source, device=device, **options)
    tmp = out_path + ".tmp"
    Path(tmp).write_text(json.dumps(report.to_dict(with_cover=True)), encoding="utf-8")
    os.replace(tmp, out_path)


def validate_many(
    sources: Iterable[str | Path],
    device: str = "cpu",
    quick: bool = False,
    jobs: int = 1,
    on_done: Callable[[PackageReport, int, int], None] | None = None,
    core_versions: Sequence[str] = (),
    catalog: str | Path | None = None,
) -> list[PackageReport]:
    """Validate every source; with ``jobs`` > 1 in that many parallel processes.

    One broken package never stops the others; a worker that dies is a failed package. Reports come
    back in the order of ``sources``; ``on_done(report, done, total)`` is called as each finishes.
    ``core_versions`` and ``catalog`` as for :func:`validate_package`.
    """
    sources = [str(s) for s in sources]
    device = resolve_device(device)
    options = {"quick": quick, "core_versions": check_core_versions(core_versions), "catalog": check_catalog_dir(catalog)}
    total = len(sources)
    reports: list[PackageReport | None] = [None] * total
    if jobs <= 1 or total <= 1:
        for i, s in enumerate(sources):
            try:
                reports[i] = validate_package(s, device=device, **options)
            except Exception as e:  # defensive: validate_package reports problems as checks
                reports[i] = crashed_report(s, f"validation crashed: {type(e).__name__}: {one_line(e, 200)}", device, quick)
            if on_done:
                on_done(reports[i], i + 1, total)
        return reports  # type: ignore[return-value]
    return _validate_parallel(sources, device, options, jobs, on_done)


def _validate_parallel(sources, device, options, jobs, on_done) -> list[PackageReport]:
    quick = options["quick"]
    ctx = multiprocessing.get_context("spawn")
    total = len(sources)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    reports: list[PackageReport | None] = [None] * total
    pending = list(range(total))
    running: dict[int, tuple] = {}
    done = 0
    with tempfile.TemporaryDirectory(prefix="samzoo-validate-jobs-") as tmp:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                out = os.path.join(tmp, f"{i}.json")
                p = ctx.Process(target=_worker, args=(sources[i], device, options, out, threads), daemon=True)
                p.start()
                running[i] = (p, out)
            time.sleep(0.05)
            for i, (p, out) in list(running.items()):
                if p.is_alive():
                    continue
                p.join()
                del running[i]
                if p.exitcode == 0 and os.path.exists(out):
                    reports[i] = PackageReport.from_dict(json.loads(Path(out).read_text(encoding="utf-8")))
                else:
                    reports[i] = crashed_report(sources[i], f"the validation worker died (exit code {p.exitcode}) while checking this package", device, quick)
                done += 1
                if on_done:
                    on_done(reports[i], done, total)
    return reports  # type: ignore[return-value]
