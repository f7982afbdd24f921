"""``samzoo list``, ``samzoo info`` and ``samzoo recommend``: read the catalog."""

from __future__ import annotations

import argparse
import sys

from ..catalog import DOMAINS
from ._output import print_json, table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list the model types of the catalog")
    p.add_argument("--domain", choices=DOMAINS, help="only models of this domain")
    p.add_argument("--all-versions", action="store_true", help="also older, legacy and specialist models and every version")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="show one model (any name: vit_b_lm, vit_b_lm@v2, noisy-ox, noisy-ox/1.2, a Zenodo DOI)")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("recommend", help="which model to use for a domain (the 'Choosing a Model' rules)")
    p.add_argument("--domain", required=True, metavar="DOMAIN", help=f"one of {', '.join(DOMAINS)}")
    p.add_argument("--target", help="what to segment, e.g. cells, nuclei, mitochondria")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--fast", action="store_true", help="laptop, many images or volumetric data: the vit_t variant")
    speed.add_argument("--quality", action="store_true", help="best quality, more resources: the vit_l variant")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recommend)


def cmd_list(args: argparse.Namespace) -> int:
    from ..catalog import load_catalog
    from ._present import model_summary

    catalog = load_catalog()
    specs = catalog.all(args.domain) if args.all_versions else catalog.current(args.domain)
    if args.json:
        print_json([model_summary(s) for s in specs])
        return 0
    rows = []
    for s in specs:
        versions = [v for v in s.versions if args.all_versions or v.version == s.current_version]
        for v in versions:
            nick = f"{s.emoji} {s.nickname}" if s.nickname else "-"
            rows.append([s.model_type, v.version + ("*" if v.version == s.current_version else ""), v.zoo_version or "-", s.encoder, s.category, nick])
    print(table(rows, ["MODEL TYPE", "VERSION", "ZOO", "ENCODER", "CATEGORY", "NICKNAME"]))
    if args.all_versions:
        print("* current version")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..catalog import load_catalog
    from ._present import model_summary

    ref = load_catalog().lookup(args.name)
    info = model_summary(ref.spec, ref.version)
    if args.json:
        print_json(info)
        return 0
    s, v = ref.spec, ref.version
    print(f"{s.model_type}@{v.version}  {s.display_name}" + (f"  {s.emoji} {s.nickname}" if s.nickname else ""))
    print(f"  {s.description}")
    print(f"  encoder {s.encoder}, domain {s.domain} ({s.category}), status {s.status}, current {s.current_version}")
    if ref.zoo_id:
        print(f"  zoo id {ref.zoo_id}")
    if v.source:
        print(f"  source {v.source}")
    if v.weights:
        for kind, wf in (("encoder", v.weights.encoder), ("decoder", v.weights.decoder)):
            if wf is not None:
                print(f"  {kind}: {wf.url}\n    {wf.hash}")
    else:
        print("  weights: no URL and hash recorded for this version (see source)")
    if v.notes:
        print(f"  note: {v.notes}")
    print("  cite: " + "; ".join(c.text for c in s.citations))
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from ..choosing import recommend

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
