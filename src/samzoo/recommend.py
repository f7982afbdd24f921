"""Which model to use: the seed page's "Choosing a Model" rules, read from each spec's ``recommend`` block."""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import DOMAINS, Catalog, ModelSpec
from .errors import ArgumentError, SamzooError

_FALLBACK_DOMAIN = "natural"


@dataclass(frozen=True)
class Choice:
    """A recommended model type, why, and the other sizes worth knowing about."""

    model_type: str
    reason: str
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"model_type": self.model_type, "reason": self.reason, "alternatives": list(self.alternatives)}


def _norm(word: str) -> str:
    return word.strip().lower().replace("_", "-").removesuffix("s")


def _serves(spec: ModelSpec, target: str | None) -> bool:
    rec = spec.recommend
    if rec is None:
        return False
    return target is None or "*" in rec.targets or _norm(target) in {_norm(t) for t in rec.targets}


def targets(catalog: Catalog, domain: str | None = None) -> list[str]:
    """Every target some current model of ``domain`` is recommended for (for CLI help and checks)."""
    found = {t for s in catalog.current(domain) if s.recommend for t in s.recommend.targets if t != "*"}
    return sorted(found)


def recommend(catalog: Catalog, domain: str, target: str | None = None, fast: bool = False, quality: bool = False) -> Choice:
    """The model type for ``domain`` (and ``target``), following the catalog's rules.

    ``fast`` asks for the vit_t variant (laptop, many images, volumetric data);
    ``quality`` for the larger one. vit_h is never recommended (no spec carries a rule for it).
    """
    if domain not in DOMAINS:
        raise ArgumentError("domain", f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
    if fast and quality:
        raise ArgumentError("fast", "cannot be combined with quality: they pull in opposite directions; give at most one")
    notes: list[str] = []
    candidates = [s for s in catalog.current(domain) if _serves(s, target)]
    if not candidates and domain != _FALLBACK_DOMAIN:
        notes.append(f"No {domain.replace('_', ' ')} model is made for {target!r}.")
        candidates = [s for s in catalog.current(_FALLBACK_DOMAIN) if _serves(s, None)]
    if not candidates:
        raise SamzooError(f"the catalog has no recommendation rule for domain {domain!r}; add a 'recommend' block to a spec")
    wanted = "fast" if fast else "quality" if quality else "default"
    by_role = {s.recommend.role: s for s in candidates}
    chosen = by_role.get(wanted)
    if chosen is None:
        chosen = by_role.get("default") or candidates[0]
        notes.append(f"There is no {wanted} variant here; {chosen.model_type} is the closest.")
    reason = " ".join([*notes, chosen.recommend.reason])
    others = tuple(s.model_type for s in candidates if s is not chosen)
    return Choice(chosen.model_type, reason, others)
