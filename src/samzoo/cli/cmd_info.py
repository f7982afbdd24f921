"""``samzoo info NAME``: one model of the catalog, by any of its names."""


from __future__ import annotations

import argparse

from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show one model (any name: vit_b_lm, vit_b_lm@v2, noisy-ox, noisy-ox/1.2, a Zenodo DOI)")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_info)


def cmd_info(args: argparse.Namespace) -> int:
    from ..catalog import load_catalog
    from ._present import model_summary

    ref = load_catalog().lookup(args.name)
    info = model_summary(ref.spec, ref.version)
    if args.json:
        print_json(info)
        return 0
    s, v = ref.spec, ref.version
    print(f"{s.model_type}@{v.version}  {s.display_name}" + ("  " + " ".join(filter(None, (s.emoji, s.nickname))) if s.nickname else ""))
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
