"""The interactive package (prompts in, masks out): its kind and its stages.

Stages, as in every kind module: :func:`run_model` (the one encoder pass on the test image, the
weights written meanwhile), the exports of other weight formats (cross-checked), :func:`stage_files`
and :func:`describe` (rdf.yaml: :mod:`.interactive_rdf`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..architectures import SAM_ADAPTOR
from .context import BuildContext
from .cover import cover_png
from .determinism import encoder_pass, one_thread
from .docs import documentation
from .exports.export_job import finish_exports
from .exports.plan import onnx_decoder_file, torchscript_file
from .forward_pass import check_testable_outputs, saving_weights
from .interactive_rdf import RdfInputs, model_rdf
from .package_files import save_test_tensors, staged_hashes, write_common_files, write_rdf
from .output import default_output
from .package_kind import PackageKind
from .rdf import torch_version

KIND = PackageKind(
    name="interactive", title="an interactive package", suffix="",
    # input and output ``embeddings`` share one file
    test_tensor_files={
        "image": "test_input_image.npy", "box_prompts": "test_input_box_prompts.npy",
        "point_prompts": "test_input_point_prompts.npy", "point_labels": "test_input_point_labels.npy",
        "mask_prompts": "test_input_mask_prompts.npy", "embeddings": "test_embeddings.npy",
        "masks": "test_output_masks.npy", "scores": "test_output_scores.npy",
    },
    # input and output ``embeddings`` share one file here too
    sample_tensors={
        "image": ("sample_input_image", "image"), "box_prompts": ("sample_input_box_prompts", "values"),
        "point_prompts": ("sample_input_point_prompts", "values"), "point_labels": ("sample_input_point_labels", "values"),
        "mask_prompts": ("sample_input_mask_prompts", "values"), "embeddings": ("sample_embeddings", "values"),
        "masks": ("sample_output_masks", "masks"), "scores": ("sample_output_scores", "values"),
    },
    architecture_file="sam_adaptor.py", architecture_callable="SamAdaptor", architecture_source=SAM_ADAPTOR,
    environment_name="samzoo-sam",
)


def write_files(b: BuildContext, staging: Path) -> None:
    """The kind's stages in order, each announced: every file of the package in ``staging``, rdf.yaml last."""
    b.stage("encoder pass (test outputs)")
    run_model(b, staging)
    if b.exports is not None:
        b.stage("other weight formats (export and cross-check)")
        finish_exports(b, staging, b.exports, tensor_arrays(b))
    b.stage("writing test data, cover and documentation")
    stage_files(b, staging)
    b.stage("describing and validating the rdf")
    write_rdf(b, staging, describe(b, staging))


def run_model(b: BuildContext, staging: Path) -> None:
    """The one encoder pass and the prompted masks and scores; the weights are written meanwhile.

    When the export worker traces the encoder for the TorchScript weights, its trace is the pass
    (same computation, same settings); if it fails, the pass runs here and TorchScript is left out.
    """
    import torch

    from ..architectures.sam_adaptor import SamAdaptor
    from .lowmem import low_memory_attention

    samples, job = b.samples, b.exports
    # a rebuild of a published plain state dict ships the published bytes (the validator can then match them)
    verbatim = b.checkpoint if b.decision.matched is not None and b.plain_checkpoint else None
    with saving_weights(b.state_dict, staging / b.weights_file, verbatim):
        adaptor = SamAdaptor(b.spec.encoder, sam=b.sam, fast_attention=False).eval()  # test outputs: SAM's own attention
        traced = job.encode(samples.image_bchw) if job is not None and job.encodes else None
        with torch.inference_mode(), low_memory_attention(b.sam), encoder_pass():
            embeddings = torch.from_numpy(traced) if traced is not None else adaptor.encode(torch.from_numpy(samples.image_bchw))
            with one_thread():  # the decoder's skinny matrix products split their sums by thread
                masks, scores = adaptor.decode(
                    embeddings, tuple(samples.image.shape[:2]),
                    torch.from_numpy(samples.box_prompts), torch.from_numpy(samples.point_prompts),
                    torch.from_numpy(samples.point_labels), torch.from_numpy(samples.mask_prompts),
                )
    b.outputs = {"embeddings": embeddings.numpy(), "masks": masks.numpy(), "scores": scores.numpy()}
    check_testable_outputs(b.outputs, samples.source)
    b.timer.lap("encoder pass and weights")


def tensor_arrays(b: BuildContext) -> dict[str, np.ndarray]:
    """Tensor id -> test array: the sample inputs and the computed outputs."""
    samples = b.samples
    return {
        "image": samples.image_bchw, "box_prompts": samples.box_prompts, "point_prompts": samples.point_prompts,
        "point_labels": samples.point_labels, "mask_prompts": samples.mask_prompts, **b.outputs,
    }


def stage_files(b: BuildContext, staging: Path) -> None:
    """Every file of the package but the weights and rdf.yaml: decoder, test and sample tensors, cover, documentation,
    environment, architecture."""
    import torch

    samples = b.samples
    if b.decoder_state is not None:
        torch.save(b.decoder_state, staging / b.decoder_file)
    arrays = tensor_arrays(b)
    b.sample_files = save_test_tensors(staging, KIND, arrays)
    cover = cover_png(samples.image, arrays["masks"][0, :, 0], samples.box_prompts, b.cover_caption)
    text = documentation(b.spec, b.catalog, b.decision.version, test_source=samples.source,
                         n_objects=len(samples.object_ids), has_decoder=b.decoder_state is not None,
                         extra_files=tuple(b.extra_files),
                         package_file=default_output(b.spec.model_type, b.spec.nickname, b.decision.version, KIND).name)
    write_common_files(b, staging, KIND, cover, text)


def describe(b: BuildContext, staging: Path) -> dict[str, Any]:
    """rdf.yaml's content, from the catalog and the staged files' hashes."""
    encoder = b.spec.encoder
    return model_rdf(RdfInputs(
        spec=b.spec, version=b.decision.version, files=KIND.test_tensor_files, samples=b.sample_files,
        sha=staged_hashes(staging),
        weights_file=b.weights_file, architecture=(KIND.architecture_file, KIND.architecture_callable),
        decoder_file=b.decoder_file, torch_version=torch_version(),
        samzoo_config=b.samzoo_config(), scores_max=float(b.outputs["scores"].max()),
        embeddings_max=float(abs(b.outputs["embeddings"]).max()),
        torchscript_file=_kept(b, torchscript_file(encoder)), onnx_decoder_file=_kept(b, onnx_decoder_file(encoder)),
    ))


def _kept(b: BuildContext, fname: str) -> str | None:
    return fname if fname in b.extra_files else None
