"""Which zoo version a build gets: a rebuild of published weights, or a new release."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from ..catalog import ModelRef, Version, is_builtin
from ..catalog.versions import newest, next_version, version_key
from ..plumbing.errors import ArgumentError
from ..plumbing.hashing import parse_hash


@dataclass(frozen=True)
class VersionDecision:
    """The package version and why."""

    version: str
    rebuild: bool  # True: the weights are the published weights of ``matched`` (samzoo's own catalog)
    matched: Version | None  # the catalog version whose weights these are (also a user catalog's), if any
    message: str


def decide_version(
    ref: ModelRef,
    file_hash: Callable[[str], str],
    requested: str | None = None,
    force: bool = False,
) -> VersionDecision:
    """Decide the package version.

    ``file_hash(alg)`` returns the checkpoint file's ``alg:hex`` hash (computed on demand).
    Weights equal to a published version's -> that zoo version. Otherwise a new release: the
    next version after the newest published one, or ``requested``; a published version is
    refused for different weights unless ``force``.
    """
    spec = ref.spec
    matched = None
    for v in spec.versions:
        if v.weights is not None:
            alg, _ = parse_hash(v.weights.encoder.hash)
            if file_hash(alg) == v.weights.encoder.hash:
                matched = v
                break
    published = [v.zoo_version for v in spec.versions if v.zoo_version]
    if requested is not None:
        requested = str(requested).strip()
        try:
            version_key(requested)
        except ValueError:
            raise ArgumentError("version", f"{requested!r} must be a dotted number such as 1.3") from None
    if matched is not None and requested is None and not matched.zoo_version and not is_builtin(spec):
        version = next_version(published)  # a user's registered weights, never on the zoo: not a "published" rebuild
        return VersionDecision(version, False, matched,
                               f"the weights are the ones registered for {spec.model_type} {matched.version} in your "
                               f"catalog ({spec.spec_file}); packaging as version {version}")
    if matched is not None and (requested is None or requested == matched.zoo_version):
        if matched.zoo_version:
            return VersionDecision(matched.zoo_version, True, matched,
                                   f"rebuild: the weights are the published {spec.model_type} {matched.version} (zoo version {matched.zoo_version})")
        version = requested or next_version(published)
        return VersionDecision(version, True, matched,
                               f"the weights are the published {spec.model_type} {matched.version}, not yet on the zoo: packaging as version {version}")
    if requested is not None:
        if requested in published and not force:
            raise ArgumentError(
                "version",
                f"{requested} of {spec.model_type} is already published with other weights and is not overwritten "
                f"unless forced; choose a new version such as {next_version(published)}",
            )
        note = " (overwriting a published version, as forced)" if requested in published else ""
        return VersionDecision(requested, False, None, f"new release of {spec.model_type}: version {requested}{note}")
    version = next_version(published)
    latest = newest(published)
    after = f" after the published {latest}" if latest else ""
    return VersionDecision(version, False, None,
                           f"new release: the weights differ from every published {spec.model_type}; packaging as version {version}{after} (another version can be requested)")
