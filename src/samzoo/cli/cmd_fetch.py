"""``samzoo fetch NAME...``: download (or find in the cache) and verify the weights of models."""


from __future__ import annotations

import argparse
import sys

from ..plumbing.errors import SamzooError
from ._output import print_json
from ._progress import byte_bars


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fetch", help="download (or find in the cache) and verify the weights of models")
    p.add_argument("names", nargs="+", metavar="NAME", help="catalog name, zoo id (affable-otter, affable-otter/v1), DOI, URL, checkpoint file or package")
    p.add_argument("--offline", action="store_true", help="never use the network (also: SAMZOO_OFFLINE=1)")
    p.add_argument("--no-decoder", action="store_true", help="skip the instance-segmentation decoder")
    p.add_argument("--stage", action="store_true",
                   help="NAME is a zoo id: fetch its staged draft (under review), not a committed version")
    p.add_argument("--hash", help="expected ALG:HEX of a URL or file given as NAME")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_fetch)


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..resolver import resolve

    if args.hash and len(args.names) > 1:
        raise SamzooError("--hash applies to one NAME; fetch the files one at a time")
    from ..catalog import load_catalog

    catalog = load_catalog()
    results = []
    for name in args.names:
        r = resolve(name, offline=True if args.offline else None, decoder=not args.no_decoder, hash=args.hash, catalog=catalog, stage=args.stage,
                    progress=byte_bars(args))
        results.append(r)
        if not r.verified:
            print(f"samzoo: note: {r.name} has no known hash; it was not verified", file=sys.stderr)
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    for r in results:
        print(f"{r.model_type}" + (f"@{r.version}" if r.version else "") + f"  ({r.origin})")
        print(f"  encoder_path: {r.encoder_path}")
        print(f"  decoder_path: {r.decoder_path or '-'}")
    return 0
