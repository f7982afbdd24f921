"""The automatic-instance-segmentation (AIS) package: one input ``image``, one output ``labels``.

Stages used by ``build_package`` when ``mode == "automatic"``: the one AIS forward pass on
the test image (the weights are written meanwhile), the package's files, and its rdf.yaml.
The weights file is micro-sam's combined format ``{"model_state", "decoder_state"}``, so
the decoder is stored once; the architecture is ``architectures/sam_ais.py``.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..architectures import SAM_AIS
from ..plumbing.errors import SamzooError
from ..plumbing.hashing import file_digest
from . import rdf as rdf_mod

ARCHITECTURE_FILE = "sam_ais.py"
ARCHITECTURE_CALLABLE = "SamAIS"
TEST_TENSOR_FILES = {"image": "test_input_image.npy", "labels": "test_output_labels.npy"}
#: labels: pixels per million whose label may differ on other hardware (object borders)
LABELS_MISMATCHED_PPM = 2000
#: the smallest image side the package accepts (and the smallest size probe of ``bioimageio test``)
MIN_SIDE = 32
#: any size from MIN_SIDE: the model resizes every image to 1024 pixels (a coarser step would make
#: test images of other sizes, e.g. EM's 303 x 303, invalid descriptions)
SIZE_STEP = 1
#: bioimage-cpp: the post-processing library of micro-sam, pinned to the tested release
BIOIMAGE_CPP = "bioimage-cpp==0.10.0"


def ais_pass(b, staging: Path) -> None:
    """Labels of the test image through the AIS model; the combined weights are written meanwhile."""
    import torch

    from .ais_model import build_ais
    from ..architectures import sam_ais
    from .determinism import TEST_OUTPUT_THREADS, encoder_pass, fixed_threads
    from .context import check_testable_outputs, save_weights
    from .lowmem import low_memory_attention

    combined = {"model_state": b.state_dict, "decoder_state": b.decoder_state}
    errors: list[BaseException] = []
    saver = threading.Thread(target=save_weights, args=(combined, staging / b.weights_file, errors))
    saver.start()
    try:
        model = build_ais(b.sam, b.spec.encoder, b.decoder_state, b.ais_params)
        image = torch.from_numpy(b.tests.image_bchw)
        with torch.inference_mode():
            with low_memory_attention(b.sam), encoder_pass():
                embeddings, input_size = model.encode(image)
            with fixed_threads(TEST_OUTPUT_THREADS):  # the UNETR decoder with oneDNN (2.5x faster than without), fixed threads
                maps = model.decoder(embeddings, input_size, tuple(image.shape[-2:]))
        labels = sam_ais.watershed_labels(maps[0].numpy(), model.params)[None, None]
    finally:
        saver.join()
    if errors:
        raise SamzooError(f"cannot write the weights into {staging} ({errors[0]}); check free disk space")
    b.outputs = {"labels": labels}
    check_testable_outputs(b.outputs, b.tests.source)
    b.timer.lap("AIS pass and weights")


def stage_files(b, staging: Path) -> None:
    """Test tensors, cover, documentation, environment and architecture of an AIS package."""
    from .cover import cover_png

    tests, labels = b.tests, b.outputs["labels"]
    np.save(staging / TEST_TENSOR_FILES["image"], np.ascontiguousarray(tests.image_bchw), allow_pickle=False)
    np.save(staging / TEST_TENSOR_FILES["labels"], np.ascontiguousarray(labels), allow_pickle=False)
    (staging / "cover.png").write_bytes(cover_png(tests.image, _label_masks(labels[0, 0]), np.zeros((0, 4), np.int64)))
    (staging / "documentation.md").write_text(ais_documentation(b, int(labels.max())), encoding="utf-8")
    (staging / "environment.yaml").write_text(environment_yaml(b.spec.encoder), encoding="utf-8")
    shutil.copyfile(SAM_AIS, staging / ARCHITECTURE_FILE)
    b.timer.lap("test data, cover, docs")


def _label_masks(labels: np.ndarray, colours: int = 4) -> np.ndarray:
    """Objects grouped into ``colours`` masks (id modulo colours), for the cover's tints and outlines."""
    return np.stack([(labels > 0) & (labels % colours == i) for i in range(colours)])


def environment_yaml(encoder: str) -> str:
    """The interactive package's environment plus the pinned post-processing library."""
    text = rdf_mod.environment_yaml(encoder).replace("samzoo-sam-", "samzoo-sam-ais-", 1)
    if "  - pip:\n" not in text:  # pragma: no cover - rdf.environment_yaml always has a pip section
        raise AssertionError("environment.yaml without a pip section")
    return text + f"    - {BIOIMAGE_CPP}\n"


def architecture_kwargs(encoder: str, transposed: bool, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SamAIS`` keyword arguments: encoder, decoder variant and every post-processing parameter."""
    return {"model_type": encoder, "transposed_decoder": bool(transposed), **dict(params)}


def ais_tensors(sha: Mapping[str, str]) -> tuple[list[dict], list[dict]]:
    """One input ``image`` (any size from ``MIN_SIDE``) and one output ``labels`` of the image's size."""
    size = {"min": MIN_SIDE, "step": SIZE_STEP}
    image = {
        "id": "image",
        "axes": [{"type": "batch", "size": 1}, {"type": "channel", "channel_names": ["R", "G", "B"]},
                 {"type": "space", "id": "y", "size": size}, {"type": "space", "id": "x", "size": size}],
        "test_tensor": {"source": TEST_TENSOR_FILES["image"], "sha256": sha[TEST_TENSOR_FILES["image"]]},
        "data": {"type": "uint8"},
        "description": f"RGB image, at least {MIN_SIDE} x {MIN_SIDE} (greyscale: repeat the channel)",
    }
    labels = {
        "id": "labels",
        "axes": [{"type": "batch", "size": 1}, {"type": "channel", "channel_names": ["labels"]},
                 {"type": "space", "id": "y", "size": {"tensor_id": "image", "axis_id": "y"}},
                 {"type": "space", "id": "x", "size": {"tensor_id": "image", "axis_id": "x"}}],
        "test_tensor": {"source": TEST_TENSOR_FILES["labels"], "sha256": sha[TEST_TENSOR_FILES["labels"]]},
        "data": {"type": "int32"},
        "description": "instance labels: 0 background, objects 1..n numbered by the raster position of their first pixel",
    }
    return [image], [labels]


def ais_rdf(b, staging: Path) -> dict[str, Any]:
    """rdf.yaml of an AIS package."""
    from .context import torch_version

    sha = {p.name: file_digest(p) for p in sorted(staging.iterdir())}
    rdf = rdf_mod.metadata_rdf(b.spec, b.decision.version)
    rdf["tags"] = sorted({*rdf["tags"], "instance-segmentation", "automatic-instance-segmentation"})
    rdf["inputs"], rdf["outputs"] = ais_tensors(sha)
    architecture = (ARCHITECTURE_FILE, ARCHITECTURE_CALLABLE, architecture_kwargs(b.spec.encoder, b.transposed, b.ais_params))
    rdf["weights"] = {"pytorch_state_dict": rdf_mod.state_dict_entry(b.weights_file, sha, architecture, torch_version())}
    rdf["config"] = {
        "bioimageio": {"reproducibility_tolerance": [{
            "output_ids": ["labels"], "relative_tolerance": 0.0, "absolute_tolerance": 0.0,
            "mismatched_elements_per_million": LABELS_MISMATCHED_PPM,
        }]},
        "samzoo": {**b.samzoo_config(), "decoder_upsampling": "transposed convolutions" if b.transposed else "interpolation",
                   "ais_params": dict(b.ais_params)},
    }
    return rdf


def ais_documentation(b, n_objects: int) -> str:
    """documentation.md of an AIS package."""
    from .docs import model_rules

    spec, version = b.spec, b.decision.version
    zoo = f" ({spec.emoji} `{spec.nickname}/{version}` on the BioImage.IO Model Zoo)" if spec.nickname else ""
    params = "\n".join(f"| `{k}` | {v} |" for k, v in b.ais_params.items())
    cites = "\n".join(f"- {c.text}" + (f" [doi:{c.doi}](https://doi.org/{c.doi})" if c.doi else "") for c in spec.citations)
    return f"""# {spec.display_name}: `{spec.model_type}`, version {version}, automatic instance segmentation{zoo}

{spec.description}

This package segments every object of an image without prompts: SAM's `{spec.encoder}` image
encoder, a UNETR decoder predicting foreground, center distances and boundary distances, and a
seeded watershed, as micro-sam's `InstanceSegmentationWithDecoder(...).generate()` does.
For prompt-based segmentation use the interactive package of the same model.

## How to choose a model

{chr(10).join(model_rules(spec, b.catalog))}

## Inputs and outputs

| tensor | axes | dtype | meaning |
|---|---|---|---|
| input `image` | batch (1), channel (R, G, B), y, x | uint8 | the image, at least {MIN_SIDE} x {MIN_SIDE}; greyscale images repeat the channel |
| output `labels` | batch (1), channel (1), y, x | int32 | 0 = background, objects 1..n, the size of the image |

Each channel is scaled to 0..255, the image is resized so its longest side is 1024 pixels
(`ResizeLongestSide.apply_image`, as `SamPredictor.set_image`) and padded. Objects are numbered
by the raster position of their first pixel, so ids do not depend on how the watershed ran.

Post-processing parameters (architecture kwargs in `rdf.yaml`, recorded in `config.samzoo.ais_params`;
change them at build time with `samzoo build --ais-param name=value`):

| parameter | value |
|---|---|
{params}

## Validation

The test output holds {n_objects} objects found in {b.tests.source}; `cover.png` shows them.
Check the package with `bioimageio test <package>.zip`. Tolerance: at most
{LABELS_MISMATCHED_PPM} pixels per million with another label (object borders may move on other hardware).

This model is a segmentation aid: check its results, especially on data unlike its training data.

## Citation

{cites}
"""
