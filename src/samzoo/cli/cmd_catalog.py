"""``samzoo catalog add|list|remove``: the user catalog (``SAMZOO_CATALOG``), a lab's own models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..catalog import DOMAINS, ENCODERS
from ..plumbing.errors import ArgumentError
from ._output import print_listing


def register(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalog", help="your own models (the user catalog, SAMZOO_CATALOG): add, list, remove")
    catsub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    p = catsub.add_parser("add", help="register your own model; every command then knows NAME")
    p.add_argument("name", metavar="NAME", help="model type, starting with its encoder, e.g. vit_b_mylab")
    p.add_argument("--weights", required=True, metavar="URL_OR_PATH", help="the SAM weights (a local file is checked)")
    p.add_argument("--encoder", choices=ENCODERS, help="default: from the name (vit_b_mylab -> vit_b)")
    p.add_argument("--hash", metavar="ALG:HEX", help="hash of the weights (required for a URL; computed for a local file)")
    p.add_argument("--decoder", metavar="URL_OR_PATH", help="instance-segmentation decoder weights")
    p.add_argument("--decoder-hash", metavar="ALG:HEX")
    p.add_argument("--domain", choices=DOMAINS, default="light_microscopy")
    p.add_argument("--author", dest="authors", action="append", default=[], metavar="'NAME [@GITHUB_USER]'",
                   help="an author (repeatable); packages without real authors fail the zoo check")
    p.add_argument("--maintainer", dest="maintainers", action="append", default=[], metavar="'NAME @GITHUB_USER'",
                   help="a maintainer (repeatable)")
    p.add_argument("--cite", action="append", default=[], metavar="DOI_URL_OR_TEXT",
                   help="a citation of your model (repeatable; SAM and micro-sam are always cited)")
    p.add_argument("--nickname", help="adjective-animal zoo nickname (needs --emoji)")
    p.add_argument("--emoji")
    p.add_argument("--description")
    p.add_argument("--license", default="CC-BY-4.0")
    p.add_argument("--replace", action="store_true", help="overwrite your own spec of the same name")
    p.set_defaults(func=cmd_catalog_add)

    p = catsub.add_parser("list", help="the models of your catalog")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_catalog_list)
    p = catsub.add_parser("remove", help="take a model out of your catalog (its spec file is deleted)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_catalog_remove)


def _check_local_weights(args: argparse.Namespace) -> None:
    """A local weights file must hold the encoder the model is declared with (a URL is checked after download)."""
    from ..catalog.writer import encoder_of_name
    from ..plumbing.sam_checkpoint import load_checkpoint

    if args.weights.startswith(("https://", "http://", "file://")):
        return
    path = Path(args.weights).expanduser()
    if not path.is_file():
        return  # add_model says so
    found = load_checkpoint(path).encoder
    declared = args.encoder or encoder_of_name(args.name)
    if args.encoder is None and declared is None:
        args.encoder = found  # the name does not say: the weights do (add_model then checks the name's prefix)
    elif declared != found:
        raise ArgumentError("weights", f"{path} holds {found} weights but {args.name} is declared {declared}; "
                                       f"name the model {found}_... (or give the {declared} weights)")


def cmd_catalog_add(args: argparse.Namespace) -> int:
    from ..catalog.writer import add_model

    _check_local_weights(args)
    path = add_model(args.name, encoder=args.encoder, weights=args.weights, hash=args.hash, decoder=args.decoder,
                     decoder_hash=args.decoder_hash, domain=args.domain, nickname=args.nickname, emoji=args.emoji,
                     description=args.description, license=args.license, authors=args.authors,
                     maintainers=args.maintainers, cite=args.cite, replace=args.replace)
    print(f"added {args.name} to the user catalog: {path}")
    if not args.authors:
        print(f"samzoo: note: {args.name} has no authors; its packages will fail the zoo check until you add them "
              "(samzoo catalog add ... --author NAME --replace)", file=sys.stderr)
    return 0


def cmd_catalog_list(args: argparse.Namespace) -> int:
    from ..catalog.loading import user_spec_dir
    from ..catalog.writer import user_models

    specs = user_models()
    rows = [{"model_type": s.model_type, "encoder": s.encoder, "domain": s.domain, "nickname": s.nickname,
             "authors": [a.name for a in s.authors], "weights": s.current.weights.encoder.url if s.current.weights else None,
             "spec_file": s.spec_file} for s in specs]
    print_listing(rows, args.json, f"user catalog: {user_spec_dir()}", "(empty: add a model with `samzoo catalog add NAME --weights FILE`)",
                  ["MODEL TYPE", "ENCODER", "DOMAIN", "AUTHORS", "WEIGHTS"],
                  lambda r: [r["model_type"], r["encoder"], r["domain"], ", ".join(r["authors"]) or "-", r["weights"] or "-"])
    return 0


def cmd_catalog_remove(args: argparse.Namespace) -> int:
    from ..catalog.writer import remove_model

    path = remove_model(args.name)
    print(f"removed {args.name} from the user catalog ({path} deleted; cached weights stay until `samzoo cache clear`)")
    return 0
