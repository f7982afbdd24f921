"""``samzoo list``: the model types of the catalog."""


from __future__ import annotations

import argparse

from ..catalog import DOMAINS
from ._output import print_json, table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list the model types of the catalog")
    p.add_argument("--domain", choices=DOMAINS, help="only models of this domain")
    p.add_argument("--all-versions", action="store_true", help="also older, legacy and specialist models and every version")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_list)


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
            nick = f"{s.emoji} {s.nickname}" if s.emoji else s.nickname if s.nickname else "-"
            rows.append([s.model_type, v.version + ("*" if v.version == s.current_version else ""), v.zoo_version or "-", s.encoder, s.category, nick])
    print(table(rows, ["MODEL TYPE", "VERSION", "ZOO", "ENCODER", "CATEGORY", "NICKNAME"]))
    if args.all_versions:
        print("* current version")
    return 0
