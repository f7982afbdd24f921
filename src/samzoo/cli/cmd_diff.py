"""``samzoo diff A B``: what package B changes against package A (metadata, files, weights, behaviour)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="what package B changes against package A: rdf fields, files, weights per SAM module, masks on the same inputs",
        description="A and B: package zips, package folders, http(s) URLs of zips or zoo ids (affable-otter, affable-otter/v1). Unless --static, both models run "
                    "(through bioimageio.core) on A's and B's test inputs and on each --image. Exit code 0, or with "
                    "--exit-code 1 when the packages differ in behaviour (as `git diff --exit-code`).",
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--stage", action="store_true", help="a zoo id without version means its staged draft (under review)")
    p.add_argument("--static", action="store_true", help="do not run the models (metadata, files and weights only)")
    p.add_argument("--image", action="append", default=[], metavar="FILE", help="one more input image for both models (repeatable)")
    p.add_argument("--device", default="cpu", help="where the models run (default: cpu)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--markdown", action="store_true", help="print Markdown (a review comment, $GITHUB_STEP_SUMMARY)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML page with side-by-side mask pictures to FILE")
    p.add_argument("--exit-code", dest="exit_code", action="store_true", help="exit 1 when the packages differ in behaviour")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..compare import render_html, render_markdown, render_text
    from ..pipeline import diff
    from ..plumbing.atomic import write_text_atomic
    from ._output import print_json

    result = diff(args.a, args.b, static=args.static, images=args.image, device=args.device, stage=args.stage)
    if args.json:
        print_json(result.to_dict())
    elif args.markdown:
        sys.stdout.write(render_markdown(result))
    else:
        sys.stdout.write(render_text(result))
    if args.html:
        write_text_atomic(Path(args.html), render_html(result))
        print(f"HTML written to {args.html}", file=sys.stderr)
    return 1 if args.exit_code and result.differs_in_behaviour else 0
