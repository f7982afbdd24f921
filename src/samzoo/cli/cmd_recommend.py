"""``samzoo recommend``: which model to use for a domain."""


from __future__ import annotations

import argparse
import sys

from ..catalog import DOMAINS
from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="which model to use for a domain (the 'Choosing a Model' rules)")
    p.add_argument("--domain", required=True, metavar="DOMAIN", help=f"one of {', '.join(DOMAINS)}")
    p.add_argument("--target", help="what to segment, e.g. cells, nuclei, mitochondria")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--fast", action="store_true", help="laptop, many images or volumetric data: the vit_t variant")
    speed.add_argument("--quality", action="store_true", help="best quality, more resources: the vit_l variant")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recommend)


def cmd_recommend(args: argparse.Namespace) -> int:
    from ..catalog.recommend import recommend

    choice = recommend(args.domain, args.target, fast=args.fast, quality=args.quality)
    if choice.fallback:
        made_for = f"; its models are made for: {', '.join(choice.known_targets)}" if choice.known_targets else ""
        print(f"samzoo: note: no {args.domain} model is made for {args.target!r}{made_for}. "
              f"Falling back to an original SAM model.", file=sys.stderr)
    if args.json:
        print_json(choice.to_dict())
    else:
        print(choice.model_type)
        print(f"  {choice.reason}")
        if choice.alternatives:
            print(f"  alternatives: {', '.join(choice.alternatives)}")
    return 0
