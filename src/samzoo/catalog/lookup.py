"""The loaded catalog and the one resolver of names.

Names understood by :meth:`Catalog.lookup`::

    vit_b_lm               model type, current version
    vit_b_lm@v2            model type at a version label
    vit_b_lm@1.2           model type at a zoo version
    diplomatic-bug         zoo nickname, current version
    diplomatic-bug/1.2     zoo nickname at a zoo version
    10.5281/zenodo.11103798, doi:..., https://doi.org/..., https://zenodo.org/records/...
                           the version whose source is that record
    https://bioimage.io/#/?id=noisy-ox, https://bioimage.io/#/artifacts/noisy-ox
                           the zoo page of a nickname (what ``samzoo info`` prints as source)

Names are matched without regard to case (``VIT_B_LM``, ``Noisy-Ox``); an unknown name raises
:class:`UnknownModelError` with the closest names.
"""

from __future__ import annotations

import difflib
import re
import urllib.parse
from functools import cached_property
from pathlib import Path

from ..plumbing.errors import SpecError, UnknownModelError
from .loading import load_specs
from .schema import ModelRef, ModelSpec, zenodo_record
from .vocabulary import DOMAINS

_STATUS_ORDER = ("current", "legacy", "specialist")
_ENCODER_ORDER = ("vit_h", "vit_l", "vit_b", "vit_t")  # the seed page's order


def _display_order(spec: ModelSpec) -> tuple:
    return (_STATUS_ORDER.index(spec.status), DOMAINS.index(spec.domain), _ENCODER_ORDER.index(spec.encoder), spec.model_type)


class Catalog:
    """All model specs: the built-in ones plus the user catalog's."""

    def __init__(self, specs: list[ModelSpec]) -> None:
        self.models: dict[str, ModelSpec] = {}
        nicknames: dict[str, str] = {}
        for spec in sorted(specs, key=_display_order):
            if spec.model_type in self.models:
                raise SpecError(
                    f"{spec.spec_file}: model_type {spec.model_type!r} is already defined in "
                    f"{self.models[spec.model_type].spec_file}; choose another name"
                )
            if spec.nickname:
                if spec.nickname in nicknames:
                    raise SpecError(
                        f"{spec.spec_file}: nickname {spec.nickname!r} is already used by {nicknames[spec.nickname]}; nicknames are unique"
                    )
                nicknames[spec.nickname] = spec.model_type
            self.models[spec.model_type] = spec
        self._nicknames = nicknames

    @classmethod
    def load(cls, *extra_dirs: str | Path, include_user: bool = True) -> Catalog:
        """Load ``model_specs/``, then ``SAMZOO_CATALOG`` (if set) and any ``extra_dirs``."""
        return cls(load_specs(*extra_dirs, include_user=include_user))

    # --- queries -----------------------------------------------------------------
    def current(self, domain: str | None = None) -> list[ModelSpec]:
        """Current model types (optionally of one domain), in catalog order."""
        return [s for s in self.models.values() if s.status == "current" and (domain is None or s.domain == domain)]

    def all(self, domain: str | None = None) -> list[ModelSpec]:
        return [s for s in self.models.values() if domain is None or s.domain == domain]

    @cached_property
    def _doi_index(self) -> dict[str, ModelRef]:
        index: dict[str, ModelRef] = {}
        for spec in self.models.values():
            for v in spec.versions:
                if v.record_id:
                    index.setdefault(v.record_id, ModelRef(spec, v))
        return index

    def names(self) -> list[str]:
        """Every name :meth:`lookup` accepts (without DOIs)."""
        out: list[str] = []
        for spec in self.models.values():
            out.append(spec.model_type)
            out.extend(f"{spec.model_type}@{v.version}" for v in spec.versions)
            if spec.nickname:
                out.append(spec.nickname)
                out.extend(ModelRef(spec, v).zoo_id for v in spec.versions if v.zoo_version)
        return out

    def lookup(self, name: str) -> ModelRef:
        """Resolve any catalog name (see the module docstring) to a :class:`ModelRef`.

        Raises :class:`UnknownModelError` (with close matches) for unknown names.
        """
        text = str(name).strip()
        page_id = zoo_page_id(text)
        if page_id:
            text = page_id
        record = zenodo_record(text) if ("zenodo" in text.lower() or text.lower().startswith(("doi:", "10."))) else None
        if record is not None and record in self._doi_index:
            return self._doi_index[record]
        base, sep, tag = text.partition("@")
        if not sep:
            base, sep, tag = text.partition("/")
        spec = self._spec_named(base) or self._spec_named(base.lower())
        if spec is not None:
            if not sep:
                return ModelRef(spec, spec.current)
            for v in spec.versions:
                if tag in (v.version, v.zoo_version) or tag.lower() == v.version.lower():
                    return ModelRef(spec, v)
        raise UnknownModelError(text, self.suggest(text))

    def _spec_named(self, base: str) -> ModelSpec | None:
        spec = self.models.get(base)
        if spec is None and base in self._nicknames:
            spec = self.models[self._nicknames[base]]
        return spec

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Close names; when nothing is close, the most similar model types and nicknames."""
        name = name.lower()
        close = difflib.get_close_matches(name, self.names(), n=n, cutoff=0.5)
        if close:
            return close
        plain = [*self.models, *self._nicknames]
        return difflib.get_close_matches(name, plain, n=3, cutoff=0.0)

    def find_by_weights_hash(self, digest: str) -> ModelRef | None:
        """The published version whose encoder weights hash to ``digest`` (``alg:hex``), if any."""
        for spec in self.models.values():
            for v in spec.versions:
                if v.weights is not None and v.weights.encoder.hash == digest:
                    return ModelRef(spec, v)
        return None


def zoo_page_id(text: str) -> str | None:
    """The zoo id in a BioImage.IO page URL (``https://bioimage.io/#/?id=noisy-ox`` -> ``noisy-ox``), else None."""
    if "bioimage.io" not in text.lower():
        return None
    query = urllib.parse.urlsplit(text.replace("#/?", "?", 1).replace("#?", "?", 1)).query
    found = urllib.parse.parse_qs(query).get("id", [""])[0].strip()
    if not found:
        m = re.search(r"/artifacts/([\w.-]+(?:/[\w.]+)?)", text)
        found = m.group(1) if m else ""
    return found.removeprefix("bioimage-io/") or None


def load_catalog(*extra_dirs: str | Path, include_user: bool = True) -> Catalog:
    """Load the catalog (built-in specs, ``SAMZOO_CATALOG``, ``extra_dirs``)."""
    return Catalog.load(*extra_dirs, include_user=include_user)
