"""Compare samzoo's AIS architecture with micro-sam's library AIS on one fixed-seed random checkpoint.

Three steps, each in the environment it needs:

    # 1. samzoo's environment: the checkpoint (random vit_t SAM + random UNETR decoder, seed 0)
    PYTHONPATH=src python scripts/ais_reference.py checkpoint /tmp/ais_vit_t_seed0.pt
    # 2. an environment with micro-sam 1.8.14: its labels, InstanceSegmentationWithDecoder(...).generate()
    /work/refenv/bin/python scripts/ais_reference.py micro-sam /tmp/ais_vit_t_seed0.pt tests/data/ais_reference_vit_t_seed0.npz
    # 3. samzoo's environment: samzoo's labels and the adjusted Rand index against micro-sam's
    PYTHONPATH=src python scripts/ais_reference.py compare /tmp/ais_vit_t_seed0.pt tests/data/ais_reference_vit_t_seed0.npz
    # both decoder variants against micro-sam's own decoder (get_decoder), same weights and embeddings
    /work/refenv/bin/python scripts/ais_reference.py decoders

The image is ``skimage.data.cell()[:512, :512]`` (a plain crop: no resampling that could differ
between scikit-image versions). Step 2 imports nothing from samzoo.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

CROP = 512


def test_image() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.cell()[:CROP, :CROP])


def make_checkpoint(args) -> None:
    from samzoo.builder.ais_model import save_random_ais_checkpoint

    save_random_ais_checkpoint(args.out, args.encoder, args.seed)
    print(f"wrote {args.out} ({args.encoder}, seed {args.seed})")


def run_micro_sam(args) -> None:
    import warnings

    import torch
    import micro_sam
    from micro_sam.instance_segmentation import InstanceSegmentationWithDecoder, get_predictor_and_decoder

    warnings.simplefilter("ignore")
    torch.set_num_threads(args.threads)
    image = test_image()
    t0 = time.perf_counter()
    predictor, decoder = get_predictor_and_decoder(args.encoder, args.checkpoint, device="cpu")
    segmenter = InstanceSegmentationWithDecoder(predictor, decoder)
    segmenter.initialize(image)
    labels = segmenter.generate()
    seconds = time.perf_counter() - t0
    labels = np.asarray(labels)
    n = len(np.unique(labels)) - (1 if (labels == 0).any() else 0)
    np.savez_compressed(
        args.out, labels=labels.astype(np.int32), image_crop=np.array([CROP, CROP]),
        micro_sam_version=np.array(micro_sam.__version__), torch_version=np.array(torch.__version__),
        threads=np.array(args.threads),
    )
    print(f"micro-sam {micro_sam.__version__}: {n} objects, {seconds:.1f} s, dtype {labels.dtype}; wrote {args.out}")


def compare(args) -> None:
    import torch

    from samzoo.builder.ais_model import adjusted_rand_index, build_ais
    from samzoo.plumbing.sam_checkpoint import load_checkpoint
    from samzoo.plumbing.sam_models import build_sam

    torch.set_num_threads(args.threads)
    ref = np.load(args.reference)
    ckpt = load_checkpoint(args.checkpoint)
    model = build_ais(build_sam(ckpt.encoder, ckpt.state_dict), ckpt.encoder, ckpt.decoder_state)
    image = test_image()
    x = torch.from_numpy(np.stack([image] * 3)[None])
    t0 = time.perf_counter()
    labels = model(x)[0, 0].numpy()
    seconds = time.perf_counter() - t0
    ari = adjusted_rand_index(labels, ref["labels"])
    n_ours = int(labels.max())
    n_ref = len(np.unique(ref["labels"])) - 1
    print(f"samzoo: {n_ours} objects, {seconds:.1f} s; micro-sam: {n_ref} objects; adjusted Rand index {ari:.5f}; "
          f"identical pixels {np.mean((labels > 0) == (ref['labels'] > 0)):.5f} (foreground)")


def decoders(args) -> None:
    """samzoo's AISDecoder vs micro-sam's get_decoder (torch_em's UNETR), both variants, random BatchNorm statistics."""
    import importlib.util
    import warnings
    from pathlib import Path

    import torch
    from micro_sam.instance_segmentation import get_decoder
    from mobile_sam import sam_model_registry

    warnings.simplefilter("ignore")
    path = Path(__file__).resolve().parents[1] / "src" / "samzoo" / "architectures" / "sam_ais.py"
    spec = importlib.util.spec_from_file_location("sam_ais", path)
    sam_ais = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sam_ais)
    torch.manual_seed(0)
    sam = sam_model_registry["vit_t"]()
    for transposed in (False, True):
        torch.manual_seed(1)
        ours = sam_ais.AISDecoder(transposed=transposed)
        for m in ours.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                torch.nn.init.uniform_(m.weight)
                torch.nn.init.uniform_(m.bias)
                torch.nn.init.uniform_(m.running_var, 0.5, 2)
        theirs = get_decoder(sam.image_encoder, ours.state_dict(), "cpu")  # micro-sam picks the variant from the keys
        emb = torch.randn(1, 256, 16, 16)
        with torch.no_grad():
            a, b = ours(emb, (1024, 768), (300, 225)), theirs(emb, (1024, 768), (300, 225))
        print(f"{'transposed' if transposed else 'interpolation'}: micro-sam built {type(theirs.decoder.samplers[0]).__name__}; "
              f"max |difference| {float((a - b).abs().max())}, identical {torch.equal(a, b)}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("checkpoint")
    c.add_argument("out")
    c.add_argument("--encoder", default="vit_t")
    c.add_argument("--seed", type=int, default=0)
    c.set_defaults(run=make_checkpoint)
    m = sub.add_parser("micro-sam")
    m.add_argument("checkpoint")
    m.add_argument("out")
    m.add_argument("--encoder", default="vit_t")
    m.add_argument("--threads", type=int, default=2)
    m.set_defaults(run=run_micro_sam)
    k = sub.add_parser("compare")
    k.add_argument("checkpoint")
    k.add_argument("reference")
    k.add_argument("--threads", type=int, default=2)
    k.set_defaults(run=compare)
    d = sub.add_parser("decoders")
    d.set_defaults(run=decoders)
    args = p.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
