"""The automatic package's rdf.yaml: one input ``image`` (any size from the minimum), one output ``labels``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .rdf import file_entry, metadata_rdf, state_dict_entry, torch_version

if TYPE_CHECKING:
    from .context import BuildContext
    from .package_kind import PackageKind

#: labels: pixels per million whose label may differ on other hardware (object borders)
LABELS_MISMATCHED_PPM = 2000
#: any size from the kind's minimum: the model resizes every image to 1024 pixels (a coarser step would make
#: test images of other sizes, e.g. EM's 303 x 303, invalid descriptions)
SIZE_STEP = 1


def architecture_kwargs(encoder: str, transposed: bool, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SamAIS`` keyword arguments: encoder, decoder variant and every post-processing parameter."""
    return {"model_type": encoder, "transposed_decoder": bool(transposed), **dict(params)}


def ais_tensors(kind: PackageKind, sha: Mapping[str, str], samples: Mapping[str, str]) -> tuple[list[dict], list[dict]]:
    """One input ``image`` (any size from the kind's minimum) and one output ``labels`` of the image's size
    (``samples``: tensor id -> sample-tensor file)."""
    files, side = kind.test_tensor_files, kind.min_side
    size = {"min": side, "step": SIZE_STEP}
    image = {
        "id": "image",
        "axes": [{"type": "batch", "size": 1}, {"type": "channel", "channel_names": ["R", "G", "B"]},
                 {"type": "space", "id": "y", "size": size}, {"type": "space", "id": "x", "size": size}],
        "test_tensor": file_entry(files["image"], sha),
        "sample_tensor": file_entry(samples["image"], sha),
        "data": {"type": "uint8"},
        "description": f"RGB image, at least {side} x {side} (greyscale: repeat the channel)",
    }
    labels = {
        "id": "labels",
        "axes": [{"type": "batch", "size": 1}, {"type": "channel", "channel_names": ["labels"]},
                 {"type": "space", "id": "y", "size": {"tensor_id": "image", "axis_id": "y"}},
                 {"type": "space", "id": "x", "size": {"tensor_id": "image", "axis_id": "x"}}],
        "test_tensor": file_entry(files["labels"], sha),
        "sample_tensor": file_entry(samples["labels"], sha),
        "data": {"type": "int32"},
        "description": "instance labels: 0 background, objects 1..n numbered by the raster position of their first pixel",
    }
    return [image], [labels]


def ais_rdf(b: BuildContext, kind: PackageKind, sha: Mapping[str, str]) -> dict[str, Any]:
    """rdf.yaml of an AIS package (``sha``: file name -> sha256 of every staged file)."""
    rdf = metadata_rdf(b.spec, b.decision.version)
    rdf["tags"] = sorted({*rdf["tags"], "instance-segmentation", "automatic-instance-segmentation"})
    rdf["inputs"], rdf["outputs"] = ais_tensors(kind, sha, b.sample_files)
    architecture = (kind.architecture_file, kind.architecture_callable, architecture_kwargs(b.spec.encoder, b.transposed, b.ais_params))
    rdf["weights"] = {"pytorch_state_dict": state_dict_entry(b.weights_file, sha, architecture, torch_version())}
    rdf["config"] = {
        "bioimageio": {"reproducibility_tolerance": [{
            "output_ids": ["labels"], "relative_tolerance": 0.0, "absolute_tolerance": 0.0,
            "mismatched_elements_per_million": LABELS_MISMATCHED_PPM,
        }]},
        "samzoo": {**b.samzoo_config(), "decoder_upsampling": "transposed convolutions" if b.transposed else "interpolation",
                   "ais_params": dict(b.ais_params)},
    }
    return rdf
