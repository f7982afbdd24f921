"""``samzoo recommend``: which model to use for a domain."""


from __future__ import annotations

import argparse
import sys

from ..catalog import DOMAINS
from ..plumbing.errors import ArgumentError
from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recommend", help="which model to use for a domain (the 'Choosing a Model' rules)")
    p.add_argument("domain", nargs="?", metavar="DOMAIN", help=f"one of {', '.join(DOMAINS)} (as samzoo.recommend takes it)")
    p.add_argument("--domain", dest="domain_flag", metavar="DOMAIN", help="the same as DOMAIN")
    p.add_argument("--target", help="what to segment, e.g. cells, nuclei, mitochondria")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--fast", action="store_true", help="laptop, many images or volumetric data: the vit_t variant")
    speed.add_argument("--quality", action="store_true", help="best quality, more resources: the vit_l variant")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recommend)


def cmd_recommend(args: argparse.Namespace) -> int:
    from ..catalog.recommend import recommend

    domain = _domain(args)
    try:
        choice = recommend(domain, args.target, fast=args.fast, quality=args.quality)
    except ArgumentError as e:  # a bad domain is said as the user gave it: DOMAIN or --domain
        if e.argument == "domain" and not args.domain:
            raise ArgumentError("domain_flag", e.problem) from None
        raise
    if choice.fallback:
        made_for = f"; its models are made for: {', '.join(choice.known_targets)}" if choice.known_targets else ""
        print(f"samzoo: note: no {domain} model is made for {args.target!r}{made_for}. "
              f"Falling back to an original SAM model.", file=sys.stderr)
    if args.json:
        print_json(choice.to_dict())
    else:
        print(choice.model_type)
        print(f"  {choice.reason}")
        if choice.alternatives:
            print(f"  alternatives: {', '.join(choice.alternatives)}")
    return 0


def _domain(args: argparse.Namespace) -> str:
    """DOMAIN, given as the positional argument or as ``--domain`` (once)."""
    if args.domain and args.domain_flag and args.domain != args.domain_flag:
        raise ArgumentError("domain_flag", f"{args.domain_flag!r} and DOMAIN {args.domain!r} differ; give the domain once")
    domain = args.domain or args.domain_flag
    if not domain:
        raise ArgumentError("domain", f"missing; e.g. samzoo recommend light_microscopy (one of {', '.join(DOMAINS)})")
    return domain
