"""The package's ``rdf.yaml`` (BioImage.IO model format 0.5.4) as plain data, and its offline validation.

Format 0.5.4 is the lowest that expresses the package: ``config.bioimageio.reproducibility_tolerance``
appeared with it. bioimageio.spec 0.5.12 reads it (it upgrades older 0.5 descriptions on load), and
so do the specs of bioimageio.core 0.9.6 to 0.10.4, which cannot read format 0.5.12's file
descriptions of ``documentation`` and ``covers``: those two are therefore plain relative paths
(``samzoo validate --core ...`` measured which releases pass; see docs/validate.md).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import yaml

from ..catalog import ModelSpec, Person
from ..plumbing.errors import InternalError

FORMAT_VERSION = "0.5.4"


def metadata_notes(spec: ModelSpec) -> list[str]:
    """What the rdf will not say as the catalog does, one line each (the builder reports them; none is silent)."""
    known = _known_github_users()
    notes = []
    if not spec.authors:
        notes.append(f"{spec.model_type} has no authors in its catalog spec: the package names the placeholder "
                     "'unknown', which the zoo check fails; add the authors to the spec (samzoo catalog add --author NAME)")
    notes.extend(
        f"author {p.name}: github_user {p.github_user!r} is left out of the rdf (bioimageio.spec does "
        "not know it offline and would look it up online); add it on the zoo's upload page"
        for p in spec.authors if p.github_user and p.github_user.lower() not in known
    )
    notes.extend(_maintainer_note(p, known) for p in spec.maintainers if not p.github_user or p.github_user.lower() not in known)
    return notes


def _maintainer_note(p: Person, known: set[str]) -> str:
    """Why a maintainer is not in the rdf (format 0.5 needs a github_user; an unknown one would make validation go online)."""
    if not p.github_user:
        return (f"maintainer {p.name} is left out of the rdf: a BioImage.IO maintainer needs a GitHub user; "
                f"write \"{p.name} @GITHUB_USER\" in the spec")
    return (f"maintainer {p.name or p.github_user} (@{p.github_user}) is left out of the rdf (bioimageio.spec does not know "
            "the GitHub user offline and would look it up online); add them on the zoo's upload page")


def _known_github_users() -> set[str]:
    try:
        from bioimageio.spec._internal.constants import KNOWN_GITHUB_USERS

        return {u.lower() for u in KNOWN_GITHUB_USERS}
    except ImportError:  # pragma: no cover - depends on the bioimageio.spec version
        return set()


def _person(p: Person, known: set[str]) -> dict[str, Any]:
    """An author entry. A github_user unknown to bioimageio.spec would make validation go online: leave it out."""
    out: dict[str, Any] = {"name": p.name}
    if p.affiliation:
        out["affiliation"] = p.affiliation
    if p.orcid:
        out["orcid"] = p.orcid
    if p.github_user and p.github_user.lower() in known:
        out["github_user"] = p.github_user
    return out


def file_entry(name: str, sha: Mapping[str, str]) -> dict[str, str]:
    """A file of the package as rdf.yaml names it: its source and sha256."""
    return {"source": name, "sha256": sha[name]}


def state_dict_entry(weights_file: str, sha: Mapping[str, str], architecture: tuple[str, str, dict[str, Any]],
                     torch_version: str) -> dict[str, Any]:
    """``weights.pytorch_state_dict``: the weights, the architecture (file, callable, kwargs), torch and environment.yaml."""
    source, callable_name, kwargs = architecture
    return {
        "source": weights_file,
        "sha256": sha[weights_file],
        "architecture": {"source": source, "sha256": sha[source], "callable": callable_name, "kwargs": kwargs},
        "pytorch_version": torch_version,
        "dependencies": file_entry("environment.yaml", sha),
    }


def metadata_rdf(spec: ModelSpec, version: str) -> dict[str, Any]:
    """The catalog's part of rdf.yaml (name to covers), the same for every kind of package."""
    known = _known_github_users()
    rdf: dict[str, Any] = {
        "type": "model",
        "format_version": FORMAT_VERSION,
        "name": spec.display_name,
        "description": spec.description,
    }
    if spec.nickname:
        rdf["id"] = spec.nickname
        if spec.emoji:
            rdf["id_emoji"] = spec.emoji
    rdf["version"] = version
    rdf["authors"] = [_person(p, known) for p in spec.authors] or [{"name": "unknown"}]
    # a maintainer needs a github_user; only users bioimageio.spec knows offline
    maintainers = [_person(p, known) for p in spec.maintainers if p.github_user and p.github_user.lower() in known]
    if maintainers:
        rdf["maintainers"] = maintainers
    rdf["cite"] = [{k: v for k, v in (("text", c.text), ("doi", c.doi), ("url", c.url)) if v} for c in spec.citations]
    rdf["license"] = spec.license
    rdf["tags"] = list(spec.tags)
    if spec.git_repo:
        rdf["git_repo"] = spec.git_repo
    rdf["documentation"] = "documentation.md"  # plain paths: format 0.5.4, read by older specs too
    rdf["covers"] = ["cover.png"]
    return rdf


class _NoAliasDumper(yaml.SafeDumper):
    """Writes repeated values out in full instead of as YAML anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_rdf(rdf: Mapping[str, Any]) -> str:
    """Deterministic YAML text (insertion order kept, unicode kept, no anchors)."""
    return yaml.dump(dict(rdf), Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=120)


def environment_yaml(encoder: str, name: str = "samzoo-sam", extra_pip: tuple[str, ...] = ()) -> str:
    """The conda environment the architecture file needs: torch and segment_anything, or mobile_sam for vit_t,
    then ``extra_pip`` (the environment is named ``<name>-<encoder>``)."""
    conda = ["python>=3.10", "pytorch>=2.1", *(["timm>=0.9"] if encoder == "vit_t" else []), "pip"]
    pip = ["mobilesam-mirror>=1.0" if encoder == "vit_t" else "segment-anything>=1.0", *extra_pip]
    lines = [f"name: {name}-{encoder.replace('_', '-')}", "channels:", "  - conda-forge", "dependencies:",
             *(f"  - {c}" for c in conda), "  - pip:", *(f"    - {p}" for p in pip)]
    return "\n".join(lines) + "\n"


def validate_rdf(rdf: Mapping[str, Any], root) -> None:
    """Validate with bioimageio.spec, including its file checks (test tensors, tolerances); InternalError if invalid (samzoo's bug).

    Works offline: the only online check, of unknown GitHub user names, is avoided by :func:`_person`.
    """
    import warnings

    from bioimageio.spec import ValidationContext, build_description

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ValidationContext(root=root, perform_io_checks=True, file_name="rdf.yaml"):
            descr = build_description(dict(rdf), format_version="discover")
    summary = descr.validation_summary
    if summary.status not in ("valid-format", "passed"):
        first = next((e for d in summary.details for e in d.errors), None)
        where = ".".join(str(x) for x in first.loc) if first else "?"
        msg = first.msg if first else summary.status
        raise InternalError(f"the package description samzoo wrote is invalid at {where or 'the top level'}: {msg}")


def torch_version() -> str:
    """The torch release the weights entries name (``2.5.1``, without a local build tag)."""
    import torch

    return torch.__version__.split("+")[0]
