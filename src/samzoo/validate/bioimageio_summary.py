"""A package report in bioimageio's own ``ValidationSummary`` format (what ``bioimageio test --summary x.json`` writes).

Tools that read bioimageio's summaries (``ValidationSummary.load_json``) read these: one detail per samzoo
check, bioimageio.spec's warnings on the ``format`` detail, the library versions in ``env``.
Status: ``passed`` when every check passed; ``valid-format`` when the description is valid but a later
check failed (as bioimageio reports a failed test); ``failed`` when the package or its rdf is invalid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Sequence

from ..plumbing.atomic import write_text_atomic
from ..plumbing.errors import ArgumentError
from .report import library_versions
from .result import CheckResult, PackageReport

if TYPE_CHECKING:
    from bioimageio.spec.summary import ValidationDetail, ValidationSummary

_FORMAT_CHECKS = ("source", "format", "files")


def _detail(check: CheckResult) -> ValidationDetail:
    from bioimageio.spec.summary import ErrorEntry, ValidationDetail, WarningEntry

    name = f"samzoo {check.name}: {check.message}" if check.status != "failed" else f"samzoo {check.name}"
    errors = [ErrorEntry(loc=(), msg=check.message, type=f"samzoo.{check.name}")] if check.status == "failed" else []
    warnings = [WarningEntry(loc=(), msg=d, type=f"samzoo.{check.name}", severity=30) for d in check.details]
    if check.status == "warning":
        warnings.insert(0, WarningEntry(loc=(), msg=check.message, type=f"samzoo.{check.name}", severity=30))
    elif check.status == "skipped":
        warnings.insert(0, WarningEntry(loc=(), msg=f"skipped: {check.message}", type=f"samzoo.{check.name}", severity=20))
    return ValidationDetail(name=name, status="failed" if errors else "passed", errors=errors, warnings=warnings)


def summary_status(report: PackageReport) -> str:
    """``passed``, ``valid-format`` (valid description, a later check failed) or ``failed``."""
    if report.passed:
        return "passed"
    if any(c.status == "failed" for c in report.checks if c.name in _FORMAT_CHECKS):
        return "failed"
    return "valid-format"


def to_validation_summary(report: PackageReport) -> ValidationSummary:
    """The report as a :class:`bioimageio.spec.summary.ValidationSummary`."""
    from bioimageio.spec.summary import InstalledPackage, ValidationSummary

    return ValidationSummary(
        name="samzoo validate", source_name=report.source, id=report.model_id, version=report.version,
        type=report.rdf_type or "unknown", format_version=report.format_version or "unknown",
        status=summary_status(report), details=[_detail(c) for c in report.checks],
        env={InstalledPackage(name=n, version=v) for n, v in library_versions()},
        saved_conda_list="",  # never run `conda list` (slow, and not ours to report)
    )


def _file_names(reports: Sequence[PackageReport]) -> list[str]:
    """``<package file stem>.json`` per report, made unique by a counter where two stems are equal."""
    names: list[str] = []
    for r in reports:
        stem = Path(r.source.rstrip("/\\")).name
        stem = Path(stem).parent.name if stem.lower() in ("rdf.yaml", "bioimageio.yaml") else stem
        stem = (stem[:-4] if stem.lower().endswith(".zip") else stem) or "package"
        name, i = f"{stem}.json", 2
        while name in names:
            name, i = f"{stem}-{i}.json", i + 1
        names.append(name)
    return names


def check_summary_target(target: str | Path, count: int) -> Path:
    """``target`` if ValidationSummaries of ``count`` packages can go there; an :class:`ArgumentError` otherwise."""
    target = Path(target)
    if target.suffix.lower() == ".json":
        if count != 1:
            raise ArgumentError("summary", f"{target}: {count} packages need a folder, not one .json file")
        if not target.parent.is_dir():
            raise ArgumentError("summary", f"{target}: folder {target.parent} does not exist; create it first")
    elif target.exists() and not target.is_dir():
        raise ArgumentError("summary", f"{target}: exists and is not a folder; give a folder or a .json file")
    elif target.suffix and not target.exists():  # x.txt: a file was meant, and a ValidationSummary is JSON
        raise ArgumentError("summary", f"{target}: a ValidationSummary is JSON; give a .json file (one package) or a "
                                       f"folder (one <package>.json each; a new folder's name has no suffix)")
    return target


def write_validation_summaries(reports: Sequence[PackageReport], target: str | Path) -> list[Path]:
    """Write each report's ValidationSummary JSON: to ``target`` if it ends in ``.json`` (one package only),
    else into the folder ``target`` (created if missing) as ``<package name>.json``. Returns the paths."""
    target = check_summary_target(target, len(reports))
    if target.suffix.lower() == ".json":
        paths = [target]
    else:
        target.mkdir(parents=True, exist_ok=True)
        paths = [target / n for n in _file_names(reports)]
    for report, path in zip(reports, paths, strict=True):
        write_text_atomic(path, to_validation_summary(report).model_dump_json(indent=2) + "\n")
    return paths
