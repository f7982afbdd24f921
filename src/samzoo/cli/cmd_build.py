"""``samzoo build``: package a SAM checkpoint as a BioImage.IO model of the catalog."""

from __future__ import annotations

import argparse
import os
import sys

from ._jobs import add_job_arguments, job_kwargs
from ._output import print_json
from ._progress import StageProgress, add_quiet, wanted

#: options of one build that --all does not take, and options of --all that one build does not take
_SINGLE_ONLY = ("checkpoint", "decoder", "mode", "ais_params", "image", "labels", "version", "force")
_ALL_ONLY = ("models", "user_models", "checkpoints", "from_catalog", "jobs", "scheduler", "resources")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="build a byte-reproducible BioImage.IO package from a SAM checkpoint",
        description="Build the BioImage.IO package (format 0.5.4) of catalog model NAME from the SAM weights in "
        "--checkpoint. All metadata comes from the catalog; the encoder is inferred from the weights.",
    )
    p.add_argument("name", nargs="?", help="any catalog name: vit_b_lm, diplomatic-bug, noisy-ox/1.2, ...")
    p.add_argument("--checkpoint", help="SAM state dict or micro-sam fine-tuning checkpoint (.pt)")
    p.add_argument("--decoder", help="instance-segmentation decoder state dict (or a combined file with decoder_state)")
    p.add_argument("--mode", choices=("automatic", "interactive"),
                   help="automatic: instance segmentation from the image alone (one input, one label output; "
                   "needs a decoder); interactive: prompts in, masks out. Default: automatic when there is a decoder")
    p.add_argument("--ais-param", dest="ais_params", action="append", metavar="NAME=VALUE", default=None,
                   help="with --mode automatic: a post-processing parameter (e.g. min_size=10, "
                   "center_distance_threshold=0.4); repeat for several")
    p.add_argument("--weight-format", dest="weight_formats", metavar="F[,F...]", default=None,
                   help="weight formats to ship: pytorch_state_dict (always), torchscript, onnx (interactive packages: "
                   "the ONNX prompt decoder as an attachment); each is cross-checked against the state dict before it is added")
    p.add_argument("--image", help="test image (PNG/TIFF/JPEG/.npy, 2D grey or RGB); default: a sample of the model's domain")
    p.add_argument("--labels", help="label image of --image (0 = background); default: Otsu threshold of the image")
    p.add_argument("-o", "--output", help="package path (.zip), or a folder for <nickname or model type>-<version>.zip (automatic packages: ...-<version>-ais.zip); default: that name here")
    p.add_argument("--version", help="zoo version of a new release (default: the next after the newest published)")
    p.add_argument("--force", action="store_true", help="allow different weights under an already published version, "
                   "and replace a package file at the output path that holds other bytes")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--validate", action="store_true", help="validate the package(s) after building (samzoo validate); exit 1 if one fails")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), help="with --validate: inference device (default cpu)")
    add_quiet(p)
    whole = p.add_argument_group("the whole catalog (--all)")
    whole.add_argument("--all", action="store_true", help="build every current model of the family (or --models) into the folder -o")
    whole.add_argument("--models", nargs="+", metavar="NAME", help="with --all: only these models (any catalog names, user models too)")
    whole.add_argument("--user-models", action="store_true", help="with --all: also build the current models of your user catalog")
    whole.add_argument("--checkpoints", metavar="DIR", help="with --all: take <model_type>.pt (and <model_type>_decoder.pt) from DIR")
    whole.add_argument("--from-catalog", action="store_true", help="with --all: fetch the published weights through the resolver")
    add_job_arguments(whole, "with --all: build this many models")
    p.set_defaults(func=cmd_build, jobs=None)  # None: not given (one build takes no --jobs)


def _usage(msg: str) -> int:
    print(f"samzoo build: error: {msg}", file=sys.stderr)
    return 2


def _parse_params(items: list[str] | None) -> dict[str, str] | str | None:
    """``["min_size=10", ...]`` -> ``{"min_size": "10"}``, or the usage error as a string."""
    if not items:
        return None
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            return f"--ais-param takes NAME=VALUE, got {item!r}"
        params[name.strip()] = value.strip()
    return params


def _flag(args: argparse.Namespace, name: str) -> str:
    return getattr(args, "_flag_names", {}).get(name, "--" + name.replace("_", "-"))


def _not_applicable(args: argparse.Namespace) -> str | None:
    """A one-line usage error for an option that does nothing in this kind of build, or None."""
    given = lambda names: [n for n in names if getattr(args, n) not in (None, False, [])]  # noqa: E731
    if args.all and given(_SINGLE_ONLY):
        return f"{_flag(args, given(_SINGLE_ONLY)[0])} applies to one build (NAME --checkpoint PATH), not to --all"
    if not args.all and given(_ALL_ONLY):
        return f"{_flag(args, given(_ALL_ONLY)[0])} applies only to --all; leave it out or build the whole catalog with --all"
    if args.device and not args.validate:
        return "--device is the validation's inference device; add --validate or leave --device out"
    return None


def cmd_build(args: argparse.Namespace) -> int:
    problem = _not_applicable(args)
    if problem:
        return _usage(problem)
    if args.all:
        return cmd_build_all(args)
    if not args.name or not args.checkpoint:
        return _usage("give NAME and --checkpoint PATH, or --all -o DIR (--checkpoints DIR | --from-catalog)")
    from ..builder import build_package

    params = _parse_params(args.ais_params)
    if isinstance(params, str):
        return _usage(params)
    if args.validate:
        from ..plumbing.devices import pick_device

        pick_device(args.device or "cpu")  # a usage error (no GPU) before the build, not after it
    with StageProgress(wanted(args)) as progress:
        def say(msg: str) -> None:
            if progress.enabled:
                progress.line(f"samzoo: {msg}")
            else:
                print(f"samzoo: {msg}", file=sys.stderr, flush=True)

        result = build_package(
            args.name, args.checkpoint, decoder=args.decoder, image=args.image, labels=args.labels,
            output=args.output, version=args.version, force=args.force, overwrite=args.force, mode=args.mode, ais_params=params,
            weight_formats=args.weight_formats, on_message=say, on_stage=lambda stage: progress.stage(f"building {args.name}", stage),
        )
    report = _validate_built(result.path, args) if args.validate else None
    if args.json:
        print_json({**result.to_dict(), **({"validation": report.to_dict()} if report else {})})
        return 0 if report is None or report.passed else 1
    total = sum(t for _, t in result.timings)
    kind = "rebuild of published weights" if result.rebuild else "new release"
    zoo = f" ({result.zoo_id})" if result.zoo_id else ""
    print(f"built {result.path}: {result.model_type} version {result.version}{zoo}, {kind}, {result.mode}")
    print(f"  sha256 {result.sha256}")
    print(f"  {result.size / 1e6:.1f} MB ({result.size / result.weights_size:.2f}x the weights), {total:.1f} s")
    if report is not None:
        print(f"validation: {report.status.upper()} ({report.seconds:.1f} s, {report.device})")
        for c in report.checks:
            print(f"  {c.status:8} {c.name:15} {c.message}")
    return 0 if report is None or report.passed else 1


def _validate_built(path, args: argparse.Namespace):
    """Validate the package just built (progress per check on a terminal); append to $GITHUB_STEP_SUMMARY."""
    from ..validate import validate_package
    from ..validate.report import append_step_summary

    with StageProgress(wanted(args)) as progress:
        report = validate_package(path, device=args.device or "cpu", on_check=lambda c: progress.stage(f"validating {path.name}", c))
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        append_step_summary([report], os.environ["GITHUB_STEP_SUMMARY"])
    return report


def cmd_build_all(args: argparse.Namespace) -> int:
    from ..pipeline import build_all

    if args.name or args.checkpoint:
        return _usage("--all builds catalog models: use --models NAME... instead of NAME, --checkpoints DIR instead of --checkpoint")
    if not args.output:
        return _usage("--all needs -o DIR, the folder for the packages, collection.json and the reports")
    if bool(args.checkpoints) == bool(args.from_catalog):
        return _usage("--all needs exactly one weight source: --checkpoints DIR or --from-catalog")
    counter = {"done": 0}

    def progress(event: str, item) -> None:
        if event == "selected":
            print(f"samzoo: {_selection_line(item)}", file=sys.stderr, flush=True)
            return
        if event == "start":
            print(f"samzoo: building {item} ...", file=sys.stderr, flush=True)
            return
        counter["done"] += 1
        what = "unchanged, skipped" if item.skipped else f"{item.seconds:.1f} s"
        print(f"samzoo: [{counter['done']}] {item.model_type}: {item.status} ({what}) {item.message}", file=sys.stderr, flush=True)

    entries = build_all(
        args.output, models=args.models, user_models=args.user_models, checkpoints=args.checkpoints, from_catalog=args.from_catalog,
        validate=args.validate, device=args.device or "cpu", on_event=progress, weight_formats=args.weight_formats,
        **{**job_kwargs(args), "jobs": args.jobs or 1},
    )
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    report_md = os.path.join(args.output, "report.md")
    if args.validate and summary and os.path.isfile(report_md):  # the same Markdown as the folder's report.md
        with open(report_md, encoding="utf-8") as src, open(summary, "a", encoding="utf-8") as dst:
            dst.write(src.read() + "\n")
    if args.json:
        print_json([{k: v for k, v in e.to_dict().items() if k != "validation"} for e in entries])
    else:
        for e in entries:
            print(f"{e.model_type:28s} {e.status:7s} {e.package or '-'}  {e.sha256 or ''}")
        print(f"index: {args.output}/collection.json" + ("; reports: report.html, report.md, report.json" if args.validate else ""))
    return 0 if all(e.status in ("passed", "built") for e in entries) else 1


def _selection_line(selection) -> str:
    """Which models --all builds, and why (a :class:`samzoo.pipeline.Selection`)."""
    n = len(selection.model_types)
    if selection.asked:
        return f"building the {n} model(s) named by --models"
    family = n - len(selection.user_models)
    line = f"building the family's {family} current models"
    if selection.user_models:
        return line + f" and your user catalog's {len(selection.user_models)} ({', '.join(selection.user_models)}; --user-models)"
    if selection.left_out:
        line += (f"; your user catalog's {len(selection.left_out)} ({', '.join(selection.left_out[:5])}"
                 f"{', ...' if len(selection.left_out) > 5 else ''}) are left out: add --user-models, or name them with --models")
    return line
