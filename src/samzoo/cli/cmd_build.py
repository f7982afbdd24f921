"""``samzoo build``: package a SAM checkpoint as a BioImage.IO model of the catalog."""

from __future__ import annotations

import argparse
import sys

from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="build a byte-reproducible BioImage.IO package from a SAM checkpoint",
        description="Build the BioImage.IO package (format 0.5.12) of catalog model NAME from the SAM weights in "
        "--checkpoint. All metadata comes from the catalog; the encoder is inferred from the weights.",
    )
    p.add_argument("name", help="any catalog name: vit_b_lm, diplomatic-bug, noisy-ox/1.2, ...")
    p.add_argument("--checkpoint", required=True, help="SAM state dict or micro-sam fine-tuning checkpoint (.pt)")
    p.add_argument("--decoder", help="instance-segmentation decoder state dict, stored as <encoder>_decoder.pt")
    p.add_argument("--image", help="test image (PNG/TIFF/JPEG/.npy, 2D grey or RGB); default: a sample of the model's domain")
    p.add_argument("--labels", help="label image of --image (0 = background); default: Otsu threshold of the image")
    p.add_argument("-o", "--output", help="package path (.zip), or a folder for <nickname or model type>-<version>.zip; default: that name here")
    p.add_argument("--version", help="zoo version of a new release (default: the next after the newest published)")
    p.add_argument("--force", action="store_true", help="allow different weights under an already published version")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_build)


def cmd_build(args: argparse.Namespace) -> int:
    from ..build import build_package

    result = build_package(
        args.name, args.checkpoint, decoder=args.decoder, image=args.image, labels=args.labels,
        output=args.output, version=args.version, force=args.force,
        on_message=lambda msg: print(f"samzoo: {msg}", file=sys.stderr),
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    total = sum(t for _, t in result.timings)
    kind = "rebuild of published weights" if result.rebuild else "new release"
    zoo = f" ({result.zoo_id})" if result.zoo_id else ""
    print(f"built {result.path}: {result.model_type} version {result.version}{zoo}, {kind}")
    print(f"  sha256 {result.sha256}")
    print(f"  {result.size / 1e6:.1f} MB ({result.size / result.weights_size:.2f}x the weights), {total:.1f} s")
    return 0
