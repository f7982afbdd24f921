"""The exports of extra weight formats, run in a fresh Python process by the builder (:mod:`.export_job`).

``python -m samzoo.builder.exports.export_worker CHECKPOINT ENCODER [--torchscript OUT [--encode]] [--onnx-decoder OUT]``

With ``--encode`` the worker also computes the builder's test embeddings: it reads one line
``IMAGE.npy EMBEDDINGS.npy`` on stdin, traces the image encoder on that image (tracing runs the
real computation, so the trace and the embeddings come from one encoder pass, under the same
determinism settings as the builder's own pass), writes the embeddings and prints ``encoded``.

A fresh interpreter because TorchScript names the classes it compiles with process-wide counters
(``___torch_mangle_N``): scripted in the builder's own process, a second build would write other
bytes. Here every export starts from zero, so the files depend only on the weights. The source
file paths TorchScript records for debugging (``*.debug_pkl``) are left out for the same reason:
they name where Python packages are installed. Exit status 0 on success; otherwise the last line
of stderr says what failed.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from ...plumbing.errors import describe_error

ONNX_OPSET = 17
ONNX_INPUTS = ("image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size")
ONNX_OUTPUTS = ("masks", "iou_predictions", "low_res_masks")


def _sam(checkpoint: Path, encoder: str):
    from ...plumbing.sam_checkpoint import load_checkpoint
    from ...plumbing.sam_models import build_sam

    return build_sam(encoder, load_checkpoint(checkpoint).state_dict).eval()


def copy_without_debug_records(src: Path, dst: Path) -> None:
    """The TorchScript archive ``src`` rewritten to ``dst`` by torch's own archive writer, without its ``*.debug_pkl`` records."""
    import torch

    reader = torch._C.PyTorchFileReader(str(src))
    writer = torch._C.PyTorchFileWriter(str(dst))
    for name in sorted(reader.get_all_records()):
        if name.endswith(".debug_pkl") or name == ".data/serialization_id":
            continue  # the writer computes the serialization id from the records it writes
        record = reader.get_record(name)
        writer.write_record(name, record, len(record))
    writer.write_end_of_file()


def encode_on_request(sam):
    """The ``--encode`` step: the traced image encoder, after writing the embeddings of the image named on stdin."""
    import os

    import numpy as np
    import torch

    from ...architectures.sam_adaptor import preprocess
    from ..determinism import encoder_pass
    from ..lowmem import low_memory_attention
    from ..torchscript import trace_encoder

    request = sys.stdin.readline().split()
    if len(request) != 2:
        raise ValueError("expected 'IMAGE.npy EMBEDDINGS.npy' on stdin")
    image = torch.from_numpy(np.load(request[0], allow_pickle=False))
    with torch.no_grad(), low_memory_attention(sam), encoder_pass():
        traced, embeddings = trace_encoder(sam.image_encoder, preprocess(image, sam.pixel_mean, sam.pixel_std))
    tmp = request[1] + ".part.npy"
    np.save(tmp, embeddings.numpy(), allow_pickle=False)
    os.replace(tmp, request[1])
    print("encoded", flush=True)
    return traced


def export_torchscript(sam, encoder: str, out: Path, image_encoder=None) -> None:
    import torch

    from ..torchscript import script_adaptor

    module = script_adaptor(encoder, sam, torch.zeros(1, 256, 64, 64), image_encoder)
    full = out.with_name(out.name + ".with-debug")
    try:
        module.save(str(full))
        copy_without_debug_records(full, out)
    finally:
        full.unlink(missing_ok=True)


def export_onnx_decoder(sam, encoder: str, out: Path) -> None:
    """SAM's prompt decoder in the ONNX layout of segment-anything's ``export_onnx_model.py`` (single mask).

    MobileSAM's copy of ``SamOnnxModel`` serves every encoder: segment-anything's crops the upscaled
    masks with ``int(size)``, which the exporter freezes to the example's image size (masks of any
    other image size come out wrong); MobileSAM's crops with tensor sizes, which stay dynamic.
    """
    import types

    import torch
    from mobile_sam.utils.onnx import SamOnnxModel

    # the prompt encoder and mask decoder only: the exporter need not walk the image encoder's weights
    parts = torch.nn.Module()
    parts.prompt_encoder, parts.mask_decoder = sam.prompt_encoder, sam.mask_decoder
    parts.image_encoder = types.SimpleNamespace(img_size=sam.image_encoder.img_size)
    parts.mask_threshold = sam.mask_threshold
    model = SamOnnxModel(parts, return_single_mask=True, use_stability_score=False, return_extra_metrics=False)
    size = sam.prompt_encoder.image_embedding_size
    generator = torch.Generator().manual_seed(0)
    dummy = (
        torch.randn(1, sam.prompt_encoder.embed_dim, *size, generator=generator),
        torch.randint(0, 1024, (1, 5, 2), generator=generator).float(),
        torch.randint(0, 4, (1, 5), generator=generator).float(),
        torch.randn(1, 1, 4 * size[0], 4 * size[1], generator=generator),
        torch.tensor([1.0]),
        torch.tensor([1500.0, 2250.0]),
    )
    torch.onnx.export(
        model, dummy, str(out), dynamo=False, export_params=True, opset_version=ONNX_OPSET, do_constant_folding=True,
        input_names=list(ONNX_INPUTS), output_names=list(ONNX_OUTPUTS),
        dynamic_axes={"point_coords": {1: "num_points"}, "point_labels": {1: "num_points"}},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samzoo.builder.exports.export_worker")
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("encoder")
    parser.add_argument("--torchscript", type=Path)
    parser.add_argument("--onnx-decoder", type=Path)
    parser.add_argument("--encode", action="store_true", help="with --torchscript: compute the test embeddings (see above)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # tracer and deprecation warnings: the builder's cross-check decides
    try:
        sam = _sam(args.checkpoint, args.encoder)
        traced = encode_on_request(sam) if args.encode and args.torchscript is not None else None
        if args.torchscript is not None:
            export_torchscript(sam, args.encoder, args.torchscript, traced)
        if args.onnx_decoder is not None:
            export_onnx_decoder(sam, args.encoder, args.onnx_decoder)
    except Exception as e:  # the builder reports the last stderr line
        print(describe_error(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
