"""``samzoo site -o DIR``: the static model-card site of the catalog (and of a folder of built packages)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "site",
        help="write a static model-card site of the catalog (and of built packages with their validation) that works offline",
        description="One page per model (cover, description, 'Choosing a model' rules, versions with zoo id, DOI and hashes, "
                    "validation, usage, citations with BibTeX) and an index of the family as an encoder x domain matrix "
                    "with a filter. No server, CDN or external font: open DIR/index.html from disk. DIR is replaced as a "
                    "whole (it must be new, empty or a site written before).",
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the site's folder")
    p.add_argument("--packages", metavar="DIR",
                   help="a folder of package zips (`samzoo build --all -o DIR`): covers, sha256, weight formats, and the "
                        "validation in its report.json")
    p.add_argument("--reports", action="append", default=[], metavar="PATH",
                   help="validation JSON: a samzoo report (`samzoo validate --report x.json`) or bioimageio summaries "
                        "(`samzoo validate --summary DIR`), a file or a folder (repeatable)")
    p.set_defaults(func=cmd_site)


def cmd_site(args: argparse.Namespace) -> int:
    from ..website import build_site

    result = build_site(args.output, args.packages, reports=args.reports)
    for note in result.notes:
        print(f"samzoo: note: {note}", file=sys.stderr)
    packages = f", {result.packages} package(s), {result.validated} with validation" if args.packages or args.reports else ""
    print(f"site written to {result.path}/index.html: {result.pages} model pages{packages}")
    return 0
