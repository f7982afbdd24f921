"""How the CLI shows catalog entries: a model (and one version) as a JSON-ready dict."""

from __future__ import annotations

from typing import Any

from ..catalog import ModelRef, ModelSpec, Version


def model_summary(spec: ModelSpec, version: Version | None = None) -> dict[str, Any]:
    """JSON-ready description of ``spec`` (and, if given, one version's weight sources)."""
    out: dict[str, Any] = {
        "model_type": spec.model_type,
        "encoder": spec.encoder,
        "domain": spec.domain,
        "category": spec.category,
        "status": spec.status,
        "display_name": spec.display_name,
        "nickname": spec.nickname,
        "emoji": spec.emoji,
        "description": spec.description,
        "current_version": spec.current_version,
        "versions": [{"version": v.version, "zoo_version": v.zoo_version, "source": v.source} for v in spec.versions],
    }
    if version is not None:
        out["version"] = version.version
        out["zoo_version"] = version.zoo_version
        out["zoo_id"] = ModelRef(spec, version).zoo_id
        out["source"] = version.source
        out["record_id"] = version.record_id
        out["weights"] = version.weights.model_dump() if version.weights else None
        out["license"] = spec.license
        out["citations"] = [c.model_dump(exclude_none=True) for c in spec.citations]
        out["spec_file"] = spec.spec_file
    return out
