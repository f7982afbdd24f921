"""The interactive package's rdf.yaml: micro-sam's tensors (image and prompts in, masks and scores out) and their tolerances."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..catalog import ModelSpec
from .rdf import file_entry, metadata_rdf, state_dict_entry

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


def tensors(files: Mapping[str, str], sha: Mapping[str, str], samples: Mapping[str, str]) -> tuple[list[dict], list[dict]]:
    """Inputs and outputs with micro-sam's tensor ids, axes and dtypes (batch fixed to 1).

    ``files`` and ``samples`` map tensor ids to test- and sample-tensor files; input and output ``embeddings``
    share their files.
    """
    batch = {"type": "batch", "size": 1}
    obj_in = {"type": "index", "id": "object", "size": _ANY}
    emb_channels = {"type": "channel", "channel_names": [f"c{i}" for i in range(256)]}

    def t(tid: str, axes: list, dtype: str, optional: bool = False, **extra) -> dict:
        d = {"id": tid, "axes": axes, "test_tensor": file_entry(files[tid], sha), "sample_tensor": file_entry(samples[tid], sha),
             "data": {"type": dtype}}
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
    samples: Mapping[str, str]  # tensor id -> sample-tensor file name
    sha: Mapping[str, str]  # file name -> sha256 of every staged file
    weights_file: str
    architecture: tuple[str, str]  # the architecture file and its callable
    decoder_file: str | None
    torch_version: str
    samzoo_config: Mapping[str, Any]
    scores_max: float  # the largest test score, which caps the scores' absolute tolerance
    embeddings_max: float = 1.0  # the largest absolute test embedding, which caps theirs
    torchscript_file: str | None = None  # TorchScript weights (parent: pytorch_state_dict)
    onnx_decoder_file: str | None = None  # the ONNX prompt decoder (an attachment)


def model_rdf(inputs: RdfInputs) -> dict[str, Any]:
    """The rdf.yaml content of a package."""
    spec, sha = inputs.spec, inputs.sha
    tensor_inputs, tensor_outputs = tensors(inputs.files, sha, inputs.samples)
    rdf = metadata_rdf(spec, inputs.version)
    rdf["inputs"] = tensor_inputs
    rdf["outputs"] = tensor_outputs
    rdf["weights"] = {"pytorch_state_dict": state_dict_entry(
        inputs.weights_file, sha, (*inputs.architecture, {"model_type": spec.encoder}), inputs.torch_version,
    )}
    if inputs.torchscript_file:
        rdf["weights"]["torchscript"] = {
            **file_entry(inputs.torchscript_file, sha), "parent": "pytorch_state_dict", "pytorch_version": inputs.torch_version,
        }
    attachments = [file_entry(f, sha) for f in (inputs.decoder_file, inputs.onnx_decoder_file) if f]
    if attachments:
        rdf["attachments"] = attachments
    rdf["config"] = {
        "bioimageio": {"reproducibility_tolerance": reproducibility_tolerance(inputs.scores_max, inputs.embeddings_max)},
        "samzoo": dict(inputs.samzoo_config),
    }
    return rdf
