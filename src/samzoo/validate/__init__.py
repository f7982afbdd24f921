"""Validate SAM model packages as the BioImage.IO Model Zoo does, plus the SAM-specific checks it misses.

Python API::

    from samzoo.validate import ValidationOptions, validate_many, validate_package
    report = validate_package("model.zip", device="cpu", quick=False)
    report = validate_package("model.zip", ValidationOptions(device="cpu", quick=False))   # the same options, as one object
    report.passed, [(c.name, c.status, c.message) for c in report.checks]
    report = validate_package("model.zip", core_versions=["0.10.4", "0.11.0"])   # the zoo's test per release
    [(c.core, c.status, c.message) for c in report.cores]

The validator never imports ``samzoo.builder``; it works on any package
(micro-sam's ``export_sam_model`` output included).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .result import CheckResult, CoreResult, PackageReport, Status

# imported when first used: the model worker (python -m samzoo.validate.model_worker) needs none of them
_LAZY = {"validate_many": ".many_packages", "validate_package": ".one_package", "expand_sources": ".checks.source",
         "ValidationOptions": ".options", "CHECK_NAMES": ".checks", "CHECKS": ".checks"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'samzoo.validate' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name], __name__), name)


__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "CheckResult",
    "CoreResult",
    "PackageReport",
    "Status",
    "ValidationOptions",
    "expand_sources",
    "validate_many",
    "validate_package",
]
