"""The automatic-instance-segmentation (AIS) package (one input ``image``, one output ``labels``): its kind and its stages.

Stages, as in every kind module: :func:`run_model` (the one AIS forward pass on the test image, the
weights written meanwhile), :func:`stage_files` and :func:`describe` (rdf.yaml: :mod:`.automatic_rdf`).
The weights file is micro-sam's combined format ``{"model_state", "decoder_state"}``, so the decoder
is stored once; the architecture is ``architectures/sam_ais.py`` (assembled here by :mod:`.ais_model`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..architectures import SAM_AIS
from .automatic_rdf import ais_rdf
from .context import BuildContext
from .cover import cover_png
from .docs import ais_documentation
from .forward_pass import check_testable_outputs, saving_weights
from .package_files import save_test_tensors, staged_hashes, write_common_files, write_rdf
from .package_kind import PackageKind

#: bioimage-cpp: the post-processing library of micro-sam, pinned to the tested release
BIOIMAGE_CPP = "bioimage-cpp==0.10.0"

KIND = PackageKind(
    name="automatic", title="an automatic instance segmentation package", suffix="-ais",
    test_tensor_files={"image": "test_input_image.npy", "labels": "test_output_labels.npy"},
    sample_tensors={"image": ("sample_input_image", "image"), "labels": ("sample_output_labels", "labels")},
    architecture_file="sam_ais.py", architecture_callable="SamAIS", architecture_source=SAM_AIS,
    environment_name="samzoo-sam-ais", extra_pip=(BIOIMAGE_CPP,),
    min_side=32,  # the smallest size probe of ``bioimageio test``
)


def write_files(b: BuildContext, staging: Path) -> None:
    """The kind's stages in order, each announced: every file of the package in ``staging``, rdf.yaml last."""
    b.stage("encoder and decoder pass (test outputs)")
    run_model(b, staging)
    b.stage("writing test data, cover and documentation")
    stage_files(b, staging)
    b.stage("describing and validating the rdf")
    write_rdf(b, staging, describe(b, staging))


def run_model(b: BuildContext, staging: Path) -> None:
    """Labels of the test image through the AIS model; the combined weights are written meanwhile."""
    import torch

    from ..architectures import sam_ais
    from .ais_model import build_ais
    from .determinism import TEST_OUTPUT_THREADS, encoder_pass, fixed_threads
    from .lowmem import low_memory_attention

    combined = {"model_state": b.state_dict, "decoder_state": b.decoder_state}
    with saving_weights(combined, staging / b.weights_file):
        model = build_ais(b.sam, b.spec.encoder, b.decoder_state, b.ais_params)
        image = torch.from_numpy(b.samples.image_bchw)
        with torch.inference_mode():
            with low_memory_attention(b.sam), encoder_pass():
                embeddings, input_size = model.encode(image)
            with fixed_threads(TEST_OUTPUT_THREADS):  # the UNETR decoder with oneDNN (2.5x faster than without), fixed threads
                maps = model.decoder(embeddings, input_size, tuple(image.shape[-2:]))
        labels = sam_ais.watershed_labels(maps[0].numpy(), model.params)[None, None]
    b.outputs = {"labels": labels}
    check_testable_outputs(b.outputs, b.samples.source)
    b.timer.lap("AIS pass and weights")


def stage_files(b: BuildContext, staging: Path) -> None:
    """Every file of the package but the weights and rdf.yaml: test and sample tensors, cover, documentation,
    environment, architecture."""
    samples, labels = b.samples, b.outputs["labels"]
    b.sample_files = save_test_tensors(staging, KIND, {"image": samples.image_bchw, "labels": labels})
    cover = cover_png(samples.image, _label_masks(labels[0, 0]), np.zeros((0, 4), np.int64), b.cover_caption)
    write_common_files(b, staging, KIND, cover, ais_documentation(b, int(labels.max()), KIND.min_side))


def describe(b: BuildContext, staging: Path) -> dict[str, Any]:
    """rdf.yaml's content, from the catalog and the staged files' hashes."""
    return ais_rdf(b, KIND, staged_hashes(staging))


def _label_masks(labels: np.ndarray, colours: int = 4) -> np.ndarray:
    """Objects grouped into ``colours`` masks (id modulo colours), for the cover's tints and outlines."""
    return np.stack([(labels > 0) & (labels % colours == i) for i in range(colours)])
