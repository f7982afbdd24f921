"""The results of a validation: one :class:`CheckResult` per check, one :class:`PackageReport` per package."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "skipped", "warning"]

@dataclass(frozen=True)
class CheckResult:
    """One check: ``status`` is passed, failed, skipped or warning; ``message`` is one line.

    ``details`` lists further one-line findings (e.g. every warning of bioimageio.spec), shown in the reports.
    """

    name: str
    status: Status
    message: str
    seconds: float = 0.0
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3), "details": list(self.details)}


@dataclass(frozen=True)
class CoreResult:
    """The zoo's test of one package under one ``bioimageio.core`` release, in its own environment.

    ``status`` is passed or failed; ``install_seconds`` is 0 when the environment came from the cache.
    """

    core: str
    status: Status
    message: str
    seconds: float = 0.0
    install_seconds: float = 0.0
    installed: bool = False
    env: str = ""
    spec: str | None = None
    unmapped: tuple[str, ...] = ()
    #: what the environment was built from: the package's dependencies plus the release's own
    requirements: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seconds": round(self.seconds, 3), "install_seconds": round(self.install_seconds, 3),
                "unmapped": list(self.unmapped), "requirements": list(self.requirements)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoreResult:
        return cls(**{**data, "unmapped": tuple(data.get("unmapped") or ()), "requirements": tuple(data.get("requirements") or ())})


@dataclass(frozen=True)
class PackageReport:
    """Every check of one package. It passed when no check failed (warnings and skips do not fail)."""

    source: str
    checks: tuple[CheckResult, ...]
    seconds: float = 0.0
    name: str | None = None
    model_id: str | None = None
    version: str | None = None
    device: str = "cpu"
    quick: bool = False
    #: the rdf's ``type`` and ``format_version`` (None when the rdf could not be read)
    rdf_type: str | None = None
    format_version: str | None = None
    #: the first cover as a ``data:`` URI (for the HTML report), if the package has one
    cover: str | None = field(default=None, repr=False)
    #: one result per bioimageio.core release asked for (the core-version matrix)
    cores: tuple[CoreResult, ...] = ()

    @property
    def passed(self) -> bool:
        return not any(c.status == "failed" for c in (*self.checks, *self.cores))

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self, with_cover: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source, "status": self.status, "name": self.name, "id": self.model_id,
            "version": self.version, "device": self.device, "quick": self.quick,
            "seconds": round(self.seconds, 3), "type": self.rdf_type, "format_version": self.format_version,
            "checks": [c.to_dict() for c in self.checks], "cores": [c.to_dict() for c in self.cores],
        }
        if with_cover:
            out["cover"] = self.cover
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackageReport:
        return cls(
            source=data["source"], checks=tuple(_check_from_dict(c) for c in data["checks"]),
            seconds=data.get("seconds", 0.0), name=data.get("name"), model_id=data.get("id"),
            version=data.get("version"), device=data.get("device", "cpu"), quick=data.get("quick", False),
            cover=data.get("cover"), cores=tuple(CoreResult.from_dict(c) for c in data.get("cores") or ()),
            rdf_type=data.get("type"), format_version=data.get("format_version"),
        )


def _check_from_dict(data: dict[str, Any]) -> CheckResult:
    return CheckResult(
        name=data["name"], status=data["status"], message=data["message"], seconds=data.get("seconds", 0.0),
        details=tuple(data.get("details") or ()),
    )
