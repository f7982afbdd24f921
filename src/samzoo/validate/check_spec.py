"""What a check declares (:class:`Check`: name, when it applies, what it needs, how it runs) and what it reads
(:class:`PackageContext`, filled in the registry's order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .result import CheckResult
from ..plumbing.sam_kind import NOT_SAM, sam_kind

if TYPE_CHECKING:
    from .checks.source import OpenedPackage
    from .model_session import ModelSession
    from .options import ValidationOptions
    from .sam_outputs import SamState

#: the packages a check applies to: any model, or SAM packages of one kind (:func:`package_kinds`)
AppliesTo = Literal["any model", "SAM interactive", "SAM automatic"]
#: what a check needs: nothing (it opens the package), the opened package, its rdf read, or its model loaded
#: (which needs a valid description and intact files)
Needs = Literal["nothing", "package", "rdf", "loaded model"]

NOT_AUTOMATIC = "not an automatic instance segmentation package (needs one integer label output)"
AUTOMATIC_NOT_INTERACTIVE = "an automatic instance segmentation package: no prompts to check (see ais)"


@dataclass(frozen=True)
class Check:
    """One check of the report: ``run(context)`` returns its result (and never needs to raise: a raise is a failure).

    ``quick_skips``: the check needs the encoder pass that ``quick`` skips.
    """

    name: str
    applies_to: AppliesTo
    needs: Needs
    run: Callable[[PackageContext], CheckResult]
    quick_skips: bool = False


@dataclass
class PackageContext:
    """What the checks of one package read, filled in the registry's order: ``source`` opens the package and
    reads its rdf (once), ``format`` makes its description, the model stage loads its model; the SAM checks
    keep what they share (``sam``, ``image_only``)."""

    options: ValidationOptions
    source: str = ""
    workdir: Path | None = None
    package: OpenedPackage | None = None
    rdf: dict[str, Any] | None = None
    rdf_error: CheckResult | None = None
    descr: Any = None
    session: ModelSession | None = None
    #: the outputs of the test image and of every size probe: (what, outputs, (y, x) of the input), for ``ais``
    seen: list[tuple[str, dict, tuple[int, int]]] = field(default_factory=list)
    sam: SamState | None = None
    sam_problem: str | None = None
    #: the outputs of ``sam_image_only``'s encoder pass, for ``encoder``
    image_only: dict | None = None
    #: the results of the checks run so far, by name (``weight_formats`` reads ``inference``'s)
    earlier: dict[str, CheckResult] = field(default_factory=dict)


def not_applicable(check: Check, rdf: dict[str, Any]) -> str | None:
    """Why ``check`` does not apply to the package of ``rdf`` (None when it does): :func:`.sam_kind.sam_kind` decides."""
    if check.applies_to == "any model":
        return None
    kind = sam_kind(rdf)
    if check.applies_to == "SAM automatic":
        return None if kind == "automatic" else NOT_SAM if kind is None else NOT_AUTOMATIC
    return None if kind == "interactive" else NOT_SAM if kind is None else AUTOMATIC_NOT_INTERACTIVE


def not_applicable_result(name: str, why: str) -> CheckResult:
    """The one line of a check that does not apply to the package."""
    return CheckResult(name, "skipped", f"not applicable: {why}")
