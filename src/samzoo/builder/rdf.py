"""The package's ``rdf.yaml`` (BioImage.IO model format 0.5.4) as plain data, and its offline validation.

Format 0.5.4 is the lowest that expresses the package: ``config.bioimageio.reproducibility_tolerance``
appeared with it. bioimageio.spec 0.5.12 reads it (it upgrades older 0.5 descriptions on load), and
so do the specs of bioimageio.core 0.9.6 to 0.10.4, which cannot read format 0.5.12's file
descriptions of ``documentation`` and ``covers``: those two are therefore plain relative paths
(``samzoo validate --core ...`` measured which releases pass; see the README).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping

import yaml

from ..catalog import ModelSpec, Person
from ..plumbing.errors import InternalError

FORMAT_VERSION = "0.5.4"
ARCHITECTURE_FILE = "sam_adaptor.py"
ARCHITECTURE_CALLABLE = "SamAdaptor"
#: scores: relative tolerance of the decoder's float32 arithmetic across CPUs/BLAS builds
SCORES_RTOL = 1e-3
SCORES_ATOL = 1e-4
#: masks: flipped pixels per million tolerated (border pixels whose logit is ~0 may flip elsewhere)
MASKS_MISMATCHED_PPM = 1000
#: embeddings computed by the encoder (``samzoo validate``'s encoder check): float32 rounding across
#: CPUs, thread counts and convolution backends; at most 100 elements per million may differ more
EMBEDDINGS_RTOL = 1e-3
EMBEDDINGS_ATOL = 1e-4
EMBEDDINGS_MISMATCHED_PPM = 100


def reproducibility_tolerance(scores_max: float, embeddings_max: float = 1.0) -> list[dict[str, Any]]:
    """Per-output tolerances, no looser than needed (bioimageio.core uses the first matching entry).

    ``embeddings`` pass through unchanged when given, but a validator that runs the encoder on the
    test image (``samzoo validate``) compares them with float32 rounding of another machine. The
    absolute tolerances are capped at 1% of the largest value, as bioimageio.spec requires.
    """
    emb_atol = math.floor(min(EMBEDDINGS_ATOL, 0.01 * embeddings_max) * 1e8) / 1e8 if embeddings_max > 0 else 0.0
    scores_atol = math.floor(min(SCORES_ATOL, 0.01 * scores_max) * 1e8) / 1e8 if scores_max > 0 else 0.0
    return [
        {"output_ids": ["embeddings"], "relative_tolerance": EMBEDDINGS_RTOL, "absolute_tolerance": emb_atol,
         "mismatched_elements_per_million": EMBEDDINGS_MISMATCHED_PPM},
        {"output_ids": ["scores"], "relative_tolerance": SCORES_RTOL, "absolute_tolerance": scores_atol, "mismatched_elements_per_million": 0},
        {"output_ids": ["masks"], "relative_tolerance": 0.0, "absolute_tolerance": 0.0, "mismatched_elements_per_million": MASKS_MISMATCHED_PPM},
    ]


_ANY = {"min": 1, "step": 1}


def metadata_notes(spec: ModelSpec) -> list[str]:
    """What the rdf will not say as the catalog does, one line each (the builder reports them; none is silent)."""
    known = _known_github_users()
    notes = []
    if not spec.authors:
        notes.append(f"{spec.model_type} has no authors in its catalog spec: the package names the placeholder "
                     "'unknown', which the zoo check fails; add the authors to the spec (samzoo catalog add --author NAME)")
    people = [("author", p) for p in spec.authors] + [("maintainer", p) for p in spec.maintainers]
    notes.extend(
        f"{role} {p.name or p.github_user}: github_user {p.github_user!r} is left out of the rdf (bioimageio.spec does "
        "not know it offline and would look it up online); add it on the zoo's upload page"
        for role, p in people if p.github_user and p.github_user.lower() not in known
    )
    return notes


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


def _file(name: str, sha: Mapping[str, str]) -> dict[str, str]:
    return {"source": name, "sha256": sha[name]}


def tensors(files: Mapping[str, str], sha: Mapping[str, str]) -> tuple[list[dict], list[dict]]:
    """Inputs and outputs with micro-sam's tensor ids, axes and dtypes (batch fixed to 1).

    ``files`` maps tensor ids to test-tensor files; input and output ``embeddings`` share one file.
    """
    batch = {"type": "batch", "size": 1}
    obj_in = {"type": "index", "id": "object", "size": _ANY}
    emb_channels = {"type": "channel", "channel_names": [f"c{i}" for i in range(256)]}

    def t(tid: str, axes: list, dtype: str, optional: bool = False, **extra) -> dict:
        d = {"id": tid, "axes": axes, "test_tensor": _file(files[tid], sha), "data": {"type": dtype}}
        if optional:
            d["optional"] = True
        d.update(extra)
        return d

    inputs = [
        t("image", [batch, {"type": "channel", "channel_names": ["R", "G", "B"]},
                    {"type": "space", "id": "y", "size": _ANY}, {"type": "space", "id": "x", "size": _ANY}], "uint8",
          description="RGB image, any size (greyscale: repeat the channel)"),
        t("box_prompts", [batch, obj_in, {"type": "channel", "channel_names": ["x0", "y0", "x1", "y1"]}], "int64", True,
          description="one box per object: x0, y0, x1, y1 in pixels"),
        t("point_prompts", [batch, obj_in, {"type": "index", "id": "point", "size": _ANY},
                            {"type": "channel", "channel_names": ["x", "y"]}], "int64", True,
          description="point coordinates x, y in pixels"),
        t("point_labels", [batch, obj_in, {"type": "index", "id": "point", "size": _ANY}], "int64", True,
          description="1 foreground, 0 background, -1 padding"),
        t("mask_prompts", [batch, obj_in, {"type": "channel", "channel_names": ["channel"]},
                           {"type": "space", "id": "y", "size": 256}, {"type": "space", "id": "x", "size": 256}], "float32", True,
          description="mask logits in SAM's 256 x 256 low-resolution frame"),
        t("embeddings", [batch, emb_channels, {"type": "space", "id": "y", "size": 64}, {"type": "space", "id": "x", "size": 64}],
          "float32", True, description="precomputed image embeddings; skips the image encoder"),
    ]
    obj_out = {"type": "index", "id": "object", "size": {}}
    outputs = [
        t("masks", [batch, obj_out, {"type": "channel", "channel_names": ["mask"]},
                    {"type": "space", "id": "y", "size": {"tensor_id": "image", "axis_id": "y"}},
                    {"type": "space", "id": "x", "size": {"tensor_id": "image", "axis_id": "x"}}], "uint8",
          description="one binary mask per object"),
        t("scores", [batch, obj_out, {"type": "channel", "channel_names": ["mask"]}], "float32",
          description="predicted IoU of each mask"),
        t("embeddings", [batch, emb_channels, {"type": "space", "id": "y", "size": 64}, {"type": "space", "id": "x", "size": 64}],
          "float32", description="image embeddings"),
    ]
    return inputs, outputs


@dataclass(frozen=True)
class RdfInputs:
    """Everything ``rdf.yaml`` is made of besides the catalog's metadata of ``spec``."""

    spec: ModelSpec
    version: str
    files: Mapping[str, str]  # tensor id -> test-tensor file name
    sha: Mapping[str, str]  # file name -> sha256 of every staged file
    weights_file: str
    decoder_file: str | None
    torch_version: str
    samzoo_config: Mapping[str, Any]
    scores_max: float  # the largest test score, which caps the scores' absolute tolerance
    embeddings_max: float = 1.0  # the largest absolute test embedding, which caps theirs
    torchscript_file: str | None = None  # TorchScript weights (parent: pytorch_state_dict)
    onnx_decoder_file: str | None = None  # the ONNX prompt decoder (an attachment)


def state_dict_entry(weights_file: str, sha: Mapping[str, str], architecture: tuple[str, str, dict[str, Any]],
                     torch_version: str) -> dict[str, Any]:
    """``weights.pytorch_state_dict``: the weights, the architecture (file, callable, kwargs), torch and environment.yaml."""
    source, callable_name, kwargs = architecture
    return {
        "source": weights_file,
        "sha256": sha[weights_file],
        "architecture": {"source": source, "sha256": sha[source], "callable": callable_name, "kwargs": kwargs},
        "pytorch_version": torch_version,
        "dependencies": _file("environment.yaml", sha),
    }


def model_rdf(inputs: RdfInputs) -> dict[str, Any]:
    """The rdf.yaml content of a package."""
    spec, sha = inputs.spec, inputs.sha
    tensor_inputs, tensor_outputs = tensors(inputs.files, sha)
    rdf = metadata_rdf(spec, inputs.version)
    rdf["inputs"] = tensor_inputs
    rdf["outputs"] = tensor_outputs
    rdf["weights"] = {"pytorch_state_dict": state_dict_entry(
        inputs.weights_file, sha, (ARCHITECTURE_FILE, ARCHITECTURE_CALLABLE, {"model_type": spec.encoder}), inputs.torch_version,
    )}
    if inputs.torchscript_file:
        rdf["weights"]["torchscript"] = {
            **_file(inputs.torchscript_file, sha), "parent": "pytorch_state_dict", "pytorch_version": inputs.torch_version,
        }
    attachments = [_file(f, sha) for f in (inputs.decoder_file, inputs.onnx_decoder_file) if f]
    if attachments:
        rdf["attachments"] = attachments
    rdf["config"] = {
        "bioimageio": {"reproducibility_tolerance": reproducibility_tolerance(inputs.scores_max, inputs.embeddings_max)},
        "samzoo": dict(inputs.samzoo_config),
    }
    return rdf


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


def environment_yaml(encoder: str) -> str:
    """The conda environment the architecture file needs: torch and segment_anything, or mobile_sam for vit_t."""
    if encoder == "vit_t":
        deps = "  - python>=3.10\n  - pytorch>=2.1\n  - timm>=0.9\n  - pip\n  - pip:\n    - mobilesam-mirror>=1.0\n"
    else:
        deps = "  - python>=3.10\n  - pytorch>=2.1\n  - pip\n  - pip:\n    - segment-anything>=1.0\n"
    return f"name: samzoo-sam-{encoder.replace('_', '-')}\nchannels:\n  - conda-forge\ndependencies:\n{deps}"


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
