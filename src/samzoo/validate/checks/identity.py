"""``identity``: a package that claims a published id and version carries the published weights.

The claim is ``id`` + ``version`` of the rdf, looked up in samzoo's own catalog (the
built-in specs, plus a folder given as ``catalog``; never the user's ``SAMZOO_CATALOG``,
so the verdict does not depend on the machine) as
``<id>/<version>``; the weight file is hashed with the catalog's algorithm
(xxh128 for the published family) and compared with the catalog's hash. An
id the catalog knows at a version it does not record is a new, unpublished
version: a warning, not a failure. Without an id, the weights hash is looked
up among all published weights (with every algorithm the catalog uses), for
information.

samzoo's builder re-saves weights as a plain state dict, so a package built from
a published checkpoint that was not a plain state dict cannot carry the published
bytes; it records the checkpoint's xxh128 in ``config.samzoo``. When the weight
file does not match but that record does, the check says so as a warning (the
record is the package's own claim, which cannot be verified offline): the
builder and the validator give one answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...plumbing.errors import UnknownModelError
from ...plumbing.hashing import file_hash, parse_hash
from ..result import CheckResult
from ..check_spec import Check, PackageContext


def weights_file(rdf: dict[str, Any], root: Path) -> Path | None:
    """The package's main weight file (pytorch_state_dict first), if it is a local file."""
    weights = rdf.get("weights") or {}
    if not isinstance(weights, dict):
        return None
    for key in ("pytorch_state_dict", "torchscript", "onnx", *weights):
        entry = weights.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("source"), str) and "://" not in entry["source"]:
            path = root / entry["source"]
            return path if path.is_file() else None
    return None


def _is_newer(version: str, published: list[str]) -> bool:
    """True when ``version`` is a zoo version above every published one (False if it is not a dotted number)."""
    from ...catalog import version_key  # imported when the check runs (the model worker never does)

    try:
        return all(version_key(version) > version_key(p) for p in published)
    except ValueError:
        return False


def _catalog_algorithms(catalog) -> list[str]:
    algs = {parse_hash(v.weights.encoder.hash)[0] for s in catalog.models.values() for v in s.versions if v.weights}
    return sorted(algs, key=lambda a: (a != "xxh128", a))


def _declared_source(rdf: dict[str, Any]) -> str | None:
    """``xxh128:<hex>`` of the checkpoint the package says it was built from (samzoo's ``config.samzoo``)."""
    config = rdf.get("config") if isinstance(rdf.get("config"), dict) else {}
    samzoo = config.get("samzoo") if isinstance(config.get("samzoo"), dict) else {}
    value = samzoo.get("source_checkpoint_xxh128")
    return f"xxh128:{value}" if isinstance(value, str) and value else None


def _without_id(rdf: dict[str, Any], weights: Path | None, catalog) -> CheckResult:
    from ...catalog import is_builtin

    if weights is None:
        return CheckResult("identity", "skipped", "no id and no local weight file: nothing to compare with the catalog")
    for alg in _catalog_algorithms(catalog):
        ref = catalog.find_by_weights_hash(file_hash(weights, alg))
        if ref is not None:
            what = f"the published {ref.name}" if is_builtin(ref.spec) else f"the weights registered for {ref.name} in your catalog"
            return CheckResult("identity", "passed", f"no id; {weights.name} is {what} ({ref.zoo_id or 'no zoo id'}; {alg} matches)")
    declared = _declared_source(rdf)
    ref = catalog.find_by_weights_hash(declared) if declared else None
    if ref is not None:
        return CheckResult("identity", "warning", f"no id; the package says it was built from the published {ref.name} "
                           f"(config.samzoo.source_checkpoint_xxh128), but {weights.name} was re-saved and cannot be compared")
    return CheckResult("identity", "skipped", "no id, and the weights are not among the catalog's published weights")


def check_identity(rdf: dict[str, Any], root: Path, catalog_dir: Path | None = None) -> CheckResult:
    """Compare the claimed id/version with samzoo's own catalog (plus ``catalog_dir``, never ``SAMZOO_CATALOG``)."""
    from ...catalog import load_catalog

    model_id, version = rdf.get("id"), rdf.get("version")
    weights = weights_file(rdf, root)
    catalog = load_catalog(*([catalog_dir] if catalog_dir else []), include_user=False)
    if not model_id:
        return _without_id(rdf, weights, catalog)
    model_id = str(model_id).split("/")[0]
    try:
        spec = catalog.lookup(model_id).spec
    except UnknownModelError:
        return CheckResult("identity", "skipped", f"id {model_id!r} is not a model of samzoo's catalog")
    if version is None:
        return CheckResult("identity", "warning", f"id {model_id!r} is {spec.model_type} but the package has no version to compare")
    version = str(version)
    published = [v for v in spec.versions if v.zoo_version]
    ref_version = next((v for v in published if v.zoo_version == version), None)
    if ref_version is None:
        known = ", ".join(v.zoo_version for v in published) or "none"
        newer = _is_newer(version, [v.zoo_version for v in published])
        what = "a new version, not yet published" if newer else "a version the catalog does not record"
        return CheckResult("identity", "warning", f"{model_id}/{version} is {what} (published: {known}); weights not compared")
    if ref_version.weights is None:
        return CheckResult("identity", "warning", f"{model_id}/{version} is published but the catalog records no weights hash for it")
    if weights is None:
        return CheckResult("identity", "failed", f"{model_id}/{version}: the package has no local weight file to compare")
    expected = ref_version.weights.encoder.hash
    alg, _ = parse_hash(expected)
    got = file_hash(weights, alg)
    if got != expected and _declared_source(rdf) == expected:
        return CheckResult(
            "identity", "warning",
            f"{model_id}/{version}: the package says it was built from the published {spec.model_type}@{ref_version.version} "
            f"(config.samzoo.source_checkpoint_xxh128 matches), but {weights.name} was re-saved and cannot be compared",
        )
    if got != expected:
        return CheckResult(
            "identity", "failed",
            f"{model_id}/{version} claims to be the published {spec.model_type}@{ref_version.version} but {weights.name} "
            f"hashes to {got}, the catalog records {expected}; build the package from the published weights or bump the version",
        )
    return CheckResult("identity", "passed", f"{model_id}/{version}: {weights.name} is the published {spec.model_type}@{ref_version.version} ({alg} matches)")


def run(ctx: PackageContext) -> CheckResult:
    return check_identity(ctx.rdf, ctx.package.root, ctx.options.catalog)


CHECK = Check("identity", "any model", "rdf", run)
