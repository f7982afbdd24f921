"""Which model to use: the seed page's "Choosing a Model" rules, read from each spec's ``recommend`` block.

``samzoo.recommend("light_microscopy", "nuclei")`` -> :class:`Choice` (:func:`recommend` of this module).

Targets match by meaning, not by spelling: case, plurals (``nucleus`` / ``nuclei``, ``mitochondrion`` /
``mitochondria``, ``cell`` / ``cells``) and extra words (``"cell nuclei"``) are understood. A target no
finetuned model of the domain is made for falls back to an original SAM model, and the :class:`Choice`
says so (``fallback=True``, with the targets the domain's models are made for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import DOMAINS, Catalog, ModelSpec, load_catalog
from .loading import is_builtin
from ..plumbing.errors import ArgumentError, SamzooError

_FALLBACK_DOMAIN = "natural"
#: the order the "Choosing a Model" rules are told in
_ROLE_ORDER = {"default": 0, "quality": 1, "fast": 2}
#: the rule about the largest encoder, told after the domain's rules (package docs and model pages)
VIT_H_ADVICE = "`vit_h` models are not recommended: no advantage seen, significantly more resources."
#: irregular plurals of what people segment (singular -> plural forms), beyond the English -s / -es rules
_IRREGULAR = {"nucleus": ("nuclei",), "mitochondrion": ("mitochondria",), "vesicle": (), "bacterium": ("bacteria",),
              "axon": (), "synapse": (), "cytoplasm": (), "lumen": ("lumina",)}
_SINGULAR = {plural: singular for singular, plurals in _IRREGULAR.items() for plural in plurals}


@dataclass(frozen=True)
class Choice:
    """A recommended model type, why, and the other sizes worth knowing about.

    ``fallback`` is True when no model of the asked domain is made for the target and the choice is an
    original SAM model instead; ``known_targets`` then lists what the domain's models are made for.
    """

    model_type: str
    reason: str
    alternatives: tuple[str, ...] = ()
    fallback: bool = False
    known_targets: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"model_type": self.model_type, "reason": self.reason, "alternatives": list(self.alternatives),
                "fallback": self.fallback, "known_targets": list(self.known_targets)}


def domain_rules(spec: ModelSpec, catalog: Catalog) -> tuple[ModelSpec, ...]:
    """The models whose "Choosing a Model" rules concern ``spec``: the family's current models of its domain that
    have a rule (default, quality, fast), and ``spec`` itself, first, when it has a rule but is not one of them."""
    family = sorted((s for s in catalog.current(spec.domain) if s.recommend and is_builtin(s)),
                    key=lambda s: (_ROLE_ORDER[s.recommend.role], s.model_type))
    own = (spec,) if spec.recommend and spec not in family else ()
    return (*own, *family)


def _singular(word: str) -> str:
    if word in _SINGULAR or word in _IRREGULAR:
        return _SINGULAR.get(word, word)
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def target_words(target: str) -> frozenset[str]:
    """The words of a target, lower case and singular: ``"Cell Nuclei"`` -> ``{"cell", "nucleus"}``."""
    return frozenset(_singular(w) for w in re.split(r"[^a-z0-9]+", target.lower()) if w)


def _serves(spec: ModelSpec, target: str | None) -> bool:
    rec = spec.recommend
    if rec is None:
        return False
    if target is None or "*" in rec.targets:
        return True
    words = target_words(target)
    return any(target_words(t) <= words for t in rec.targets if t != "*")


def targets(catalog: Catalog, domain: str | None = None) -> list[str]:
    """Every target some current model of ``domain`` is recommended for (for CLI help and checks)."""
    found = {t for s in catalog.current(domain) if s.recommend for t in s.recommend.targets if t != "*"}
    return sorted(found)


def normalize_domain(domain: str) -> str:
    """``"Light microscopy"``, ``"light-microscopy"`` -> ``light_microscopy``; an :class:`ArgumentError` if unknown."""
    key = re.sub(r"[\s-]+", "_", str(domain).strip().lower())
    if key not in DOMAINS:
        raise ArgumentError("domain", f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
    return key


def recommend(domain: str, target: str | None = None, *, fast: bool = False, quality: bool = False,
              catalog: Catalog | None = None) -> Choice:
    """The model type to use for ``domain`` (and ``target``), by the catalog's "Choosing a Model" rules.

    Args:
        domain: light_microscopy, electron_microscopy, medical_imaging, histopathology or natural
            (case and ``-``/space instead of ``_`` do not matter).
        target: what to segment, e.g. ``"nuclei"``, ``"nucleus"``, ``"cell nuclei"``, ``"mitochondria"``.
        fast: the vit_t variant (laptop, many images, volumetric data).
        quality: the larger (vit_l) variant. vit_h is never recommended.
        catalog: the catalog to use (default: :func:`samzoo.load_catalog`).

    Returns:
        A :class:`Choice`; ``choice.fallback`` is True when no model of ``domain`` is made for ``target``.

    Raises:
        ArgumentError: unknown domain, or both ``fast`` and ``quality``.

    Example::

        >>> import samzoo
        >>> samzoo.recommend("electron_microscopy", "mitochondrion").model_type
        'vit_b_em_organelles'
    """
    catalog = catalog or load_catalog()
    domain = normalize_domain(str(domain))
    if fast and quality:
        raise ArgumentError("fast", "cannot be combined with quality: they pull in opposite directions; give at most one")
    return _choose(catalog, domain, target, "fast" if fast else "quality" if quality else "default")


def _choose(catalog: Catalog, domain: str, target: str | None, wanted: str) -> Choice:
    notes: list[str] = []
    candidates = [s for s in catalog.current(domain) if _serves(s, target)]
    fallback = not candidates and domain != _FALLBACK_DOMAIN
    known: tuple[str, ...] = ()
    if fallback:
        known = tuple(targets(catalog, domain))
        made_for = f" (its models are made for: {', '.join(known)})" if known else ""
        notes.append(f"No {domain.replace('_', ' ')} model is made for {target!r}{made_for}; this is an original SAM model.")
        candidates = [s for s in catalog.current(_FALLBACK_DOMAIN) if _serves(s, None)]
    if not candidates:
        raise SamzooError(f"the catalog has no recommendation rule for domain {domain!r}; add a 'recommend' block to a spec")
    by_role = {s.recommend.role: s for s in candidates}
    chosen = by_role.get(wanted)
    if chosen is None:
        chosen = by_role.get("default") or candidates[0]
        notes.append(f"There is no {wanted} variant here; {chosen.model_type} is the closest.")
    reason = " ".join([*notes, chosen.recommend.reason])
    others = tuple(s.model_type for s in candidates if s is not chosen)
    return Choice(chosen.model_type, reason, others, fallback, known)

