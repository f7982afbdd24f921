"""How to validate: :class:`ValidationOptions`, one frozen object checked once, when it is made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..plumbing.devices import pick_device
from ..plumbing.errors import ArgumentError
from ..plumbing.jobs import Placement
from ..plumbing.runtimes import WEIGHT_FORMATS
from .core_matrix.releases import check_core_versions


@dataclass(frozen=True, kw_only=True)
class ValidationOptions:
    """Every option of a validation; a bad value raises :class:`ArgumentError` (naming it) when the object is made.

    Attributes:
        device: cpu, cuda, cuda:N or auto (cuda when torch sees a GPU); resolved here, or on each worker of a
            Dask cluster (``scheduler``).
        quick: skip the one SAM encoder pass (``sam_image_only``, ``encoder``).
        core_versions: bioimageio.core releases (``"0.10.4"``) to run the zoo's test under, each in an isolated
            environment built from the package's environment.yaml (:mod:`.core_matrix`); one result per release.
        catalog: a folder of extra model specs for the ``identity`` check; samzoo's own catalog is always used,
            the user's (``SAMZOO_CATALOG``) never, so the verdict is the same on every machine.
        weight_format: test only this weight format (``torchscript``, ...); by default ``inference`` tests the
            first declared format that can run here and ``weight_formats`` every other one.
        isolate: run the checks that execute the package's code in a worker process of their own
            (:mod:`.model_worker`): a crash of that code fails the package instead of ending the caller.
            :func:`~samzoo.validate.validate_many` always does (when it validates in this process).
        jobs, scheduler, resources: where :func:`~samzoo.validate.validate_many` runs its packages
            (:class:`~samzoo.plumbing.jobs.Placement`).
    """

    device: str = "cpu"
    quick: bool = False
    core_versions: tuple[str, ...] = ()
    catalog: Path | None = None
    weight_format: str | None = None
    isolate: bool = False
    jobs: int = 1
    scheduler: str | None = None
    resources: Mapping[str, float] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        placement = Placement.of(self.jobs, self.scheduler, self.resources)
        if self.weight_format is not None and self.weight_format not in WEIGHT_FORMATS:
            raise ArgumentError("weight_format", f"unknown weight format {self.weight_format!r}; choose from {', '.join(WEIGHT_FORMATS)}")
        _set(self, "core_versions", check_core_versions(self.core_versions) if self.core_versions else ())
        _set(self, "catalog", _catalog_dir(self.catalog))
        _set(self, "scheduler", placement.scheduler)
        _set(self, "resources", dict(placement.resources) or None)
        if placement.scheduler is None:  # a cluster's workers resolve it, each for itself
            _set(self, "device", pick_device(self.device))

    @property
    def placement(self) -> Placement:
        """Where :func:`~samzoo.validate.validate_many` runs the packages."""
        return Placement.of(self.jobs, self.scheduler, self.resources)

    @classmethod
    def of(cls, options: ValidationOptions | None, keywords: Mapping[str, Any]) -> ValidationOptions:
        """``options``, or the options ``keywords`` name (a library call's convenience); not both."""
        if options is not None and keywords:
            raise ArgumentError(next(iter(keywords)), "give either a ValidationOptions or keyword options, not both")
        if options is not None and not isinstance(options, cls):
            raise ArgumentError("options", f"{type(options).__name__} is not a ValidationOptions")
        known = {f.name for f in fields(cls)}
        unknown = [k for k in keywords if k not in known]
        if unknown:
            raise ArgumentError(unknown[0], f"not an option of a validation; choose from {', '.join(sorted(known))}")
        return options if options is not None else cls(**keywords)


def _set(options: ValidationOptions, name: str, value: object) -> None:
    object.__setattr__(options, name, value)


def _catalog_dir(catalog: str | Path | None) -> Path | None:
    if catalog is None:
        return None
    path = Path(catalog).expanduser()
    if not path.is_dir():
        raise ArgumentError("catalog", f"{catalog} is not a folder of model specs")
    return path.resolve()  # a cluster's workers run in other folders
