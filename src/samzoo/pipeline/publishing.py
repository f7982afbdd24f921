"""``publish``: the checks a package passes before it goes to the zoo, then the upload as a draft for review.

token -> package and target (a dry run stops here) -> ``samzoo validate`` (or a stated reason to skip it)
-> the newest ``bioimageio.spec`` release, in its own cached environment (errors refuse, warnings are
listed) -> upload (:mod:`samzoo.publisher`) -> the zoo id recorded in the user catalog entry the package
came from. Nothing is written to the server before every check passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plumbing.errors import ArgumentError, RunTimeFailure, SamzooError
from ..publisher import PublishPlan, PublishResult, UploadToken, publish_package, read_token, server_url
from ..publisher.package_members import PackageFiles, open_package
from ..publisher.publish import plan_publish


class PublishRefused(RunTimeFailure):
    """The package did not pass a check that comes before the upload (exit 1); nothing was uploaded."""


@dataclass(frozen=True)
class PublishOutcome:
    """A publish (``result``) or a dry run (``plan``), with what the checks before it said."""

    plan: PublishPlan | None
    result: PublishResult | None
    validation: str
    spec_warnings: tuple[str, ...] = ()
    catalog_file: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.result is None, "plan": self.plan.to_dict() if self.plan else None,
                "result": self.result.to_dict() if self.result else None, "validation": self.validation,
                "spec_warnings": list(self.spec_warnings), "catalog_file": str(self.catalog_file) if self.catalog_file else None}


def _samzoo_config(pkg: PackageFiles) -> dict[str, Any]:
    config = pkg.rdf.get("config")
    samzoo = config.get("samzoo") if isinstance(config, dict) else None
    return samzoo if isinstance(samzoo, dict) else {}


def _refuse_shared_id(pkg: PackageFiles) -> None:
    """An automatic package carries its model's zoo id, which is the interactive package's model on the zoo."""
    if pkg.rdf.get("id") and _samzoo_config(pkg).get("mode") == "automatic":
        raise PublishRefused(f"{pkg.source}: an automatic (AIS) package names the zoo id {pkg.rdf['id']!r} of its model's interactive "
                             "package; the zoo keeps one package per id: publish the interactive package")


def _validate(package: str | Path, skip_validation: str | None, options: Any) -> str:
    if skip_validation is not None:
        if not str(skip_validation).strip():
            raise ArgumentError("skip_validation", "give the reason for skipping the validation (it is printed with the result)")
        return f"skipped: {' '.join(str(skip_validation).split())}"
    from ..validate import validate_package

    report = validate_package(package, options)
    if not report.passed:
        failed = [c.name for c in report.checks if c.status == "failed"] + [f"core {c.core}" for c in report.cores if c.status == "failed"]
        raise PublishRefused(f"{package}: fails `samzoo validate` ({', '.join(failed)}); fix it, or publish with a stated reason to skip "
                             "the validation")
    return f"passed ({len(report.checks)} checks)"


def _newest_spec(package: str | Path) -> tuple[str, ...]:
    from ..validate.core_matrix.spec_release import check_with_spec

    verdict = check_with_spec(Path(package))
    if not verdict.valid:
        first = verdict.errors[0] if verdict.errors else f"status {verdict.status}"
        raise PublishRefused(f"{package}: bioimageio.spec {verdict.spec_version} (the newest release) finds {len(verdict.errors)} "
                             f"error(s): {first}; fix the package before publishing")
    return tuple(f"bioimageio.spec {verdict.spec_version}: {w}" for w in verdict.warnings)


def _record_in_catalog(pkg: PackageFiles, result: PublishResult) -> Path | None:
    """A new model's id into the user catalog entry the package was built from (its next build names the id)."""
    model_type = _samzoo_config(pkg).get("model_type")
    if not result.created or not isinstance(model_type, str):
        return None
    from ..catalog import record_zoo_id

    return record_zoo_id(model_type, result.zoo_id)  # a SamzooError here says what to set by hand (the upload is done)


def publish(package: str | Path, *, server: str | None = None, token: UploadToken | None = None, token_file: str | Path | None = None,
            dry_run: bool = False, skip_validation: str | None = None, check_spec: bool = True, validation_options: Any = None,
            progress: Callable[[str], Any] | None = None, on_stage: Callable[[str], None] | None = None) -> PublishOutcome:
    """Check ``package`` and publish it to the zoo as a draft for review (never committed).

    ``token``: an :class:`~samzoo.publisher.UploadToken`, else read from ``token_file`` or ``$BIOIMAGEIO_HYPHA_UPLOAD_TOKEN``.
    ``dry_run``: check the token, the package and the target, and return the plan; nothing is written.
    ``skip_validation``: the reason for not running ``samzoo validate`` first (None: it runs, with ``validation_options``).
    ``check_spec``: also read the package with the newest ``bioimageio.spec`` release (errors refuse it).
    ``progress``: a bar factory per uploaded file; ``on_stage(name)`` is called as each stage starts.
    Raises :class:`PublishRefused` (a check failed), :class:`~samzoo.publisher.zoo_api.ZooError` (the server), exit 1.
    """
    stage = on_stage or (lambda name: None)
    server = server_url(server)  # usage errors first, before any work
    token = token or read_token(token_file)
    pkg = open_package(package)
    _refuse_shared_id(pkg)
    stage("checking the token and the target")
    plan = plan_publish(pkg, server=server, token=token)
    if dry_run:
        return PublishOutcome(plan, None, "not run (dry run)" if skip_validation is None else f"skipped: {skip_validation}")
    stage("validating")
    validation = _validate(package, skip_validation, validation_options)
    stage("reading it with the newest bioimageio.spec")
    warnings = _newest_spec(package) if check_spec else ()
    stage("uploading")
    result = publish_package(pkg, server=server, token=token, progress=progress)
    try:
        recorded = _record_in_catalog(pkg, result)
    except SamzooError as e:
        recorded, warnings = None, (*warnings, f"the zoo id was not recorded in the catalog: {e}")
    return PublishOutcome(plan, result, validation, warnings, recorded)
