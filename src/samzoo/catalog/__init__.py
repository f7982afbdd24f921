"""The model catalog: one YAML spec per model type, validated on load, and the one resolver of names.

Modules: ``schema`` (the spec's pydantic models, ``ModelRef`` and zoo ids), ``loading`` (YAML,
shared citations, one-line errors, the spec directories), ``names`` (:class:`Catalog`: lookup,
suggestions, DOIs), ``versions`` (zoo-version ordering), ``people`` (authors, maintainers, placeholders), ``writer`` (spec YAML and
``samzoo catalog add``). Zoo ids, nicknames, emoji and zoo-version ordering are defined here
once. The package imports no samzoo module except ``errors``, ``hashing`` and ``atomic``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .vocabulary import CATEGORIES, DOMAINS, ENCODERS, Domain, Encoder, Role, Status

# the rest is imported when first used (pydantic models: the CLI builds its parser without them)
_LAZY = {
    **dict.fromkeys(("SHARED_FILE", "builtin_spec_dir", "is_builtin", "load_spec_file", "load_specs", "user_spec_dir"), ".loading"),
    **dict.fromkeys(("Catalog", "load_catalog"), ".lookup"),
    **dict.fromkeys(("Citation", "ModelRef", "ModelSpec", "Person", "Recommendation", "Version", "WeightFile", "Weights",
                     "is_single_emoji", "is_zoo_nickname", "zenodo_record", "zoo_id"), ".schema"),
    **dict.fromkeys(("newest", "next_version", "version_key"), ".versions"),
    **dict.fromkeys(("add_model", "dump_spec", "record_zoo_id"), ".writer"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'samzoo.catalog' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name], __name__), name)


__all__ = [
    "CATEGORIES", "DOMAINS", "ENCODERS", "SHARED_FILE", "Catalog", "Citation", "Domain", "Encoder", "ModelRef",
    "ModelSpec", "Person", "Recommendation", "Role", "Status", "Version", "WeightFile", "Weights", "add_model",
    "builtin_spec_dir", "dump_spec", "is_builtin", "is_single_emoji", "is_zoo_nickname", "load_catalog", "load_spec_file",
    "load_specs", "newest", "next_version", "record_zoo_id", "user_spec_dir", "version_key", "zenodo_record", "zoo_id",
]
