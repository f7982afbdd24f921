"""``samzoo cache list|verify|import|clear``: the verified weight cache."""


from __future__ import annotations

import argparse
import sys

from ..plumbing.errors import SamzooError
from ._output import print_json, print_listing


def register(sub: argparse._SubParsersAction) -> None:
    cache = sub.add_parser("cache", help="the verified weight cache (SAMZOO_CACHE_DIR)")
    csub = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    p = csub.add_parser("list", help="cached files, their models and sizes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cache_list)
    p = csub.add_parser("verify", help="re-hash every cached file; delete those that do not match")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cache_verify)
    p = csub.add_parser("import", help="put a hand-carried file into the cache after checking its hash")
    p.add_argument("file")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--as", dest="name", metavar="NAME", help="the catalog model this file belongs to (encoder or decoder)")
    what.add_argument("--hash", help="ALG:HEX the file must have (for files outside the catalog)")
    p.set_defaults(func=cmd_cache_import)
    p = csub.add_parser("clear", help="delete every cached file")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_cache_clear)


def _names_by_hash() -> dict[str, str]:
    from ..catalog import load_catalog

    out: dict[str, str] = {}
    for spec in load_catalog().all():
        for v in spec.versions:
            if v.weights:
                for kind, wf in (("encoder", v.weights.encoder), ("decoder", v.weights.decoder)):
                    if wf is not None:
                        out.setdefault(wf.hash, f"{spec.model_type}@{v.version} {kind}")
    return out


def _cache():
    from ..plumbing.cache_root import cache_root
    from ..resolver.store import WeightCache

    return WeightCache(cache_root())


def cmd_cache_list(args: argparse.Namespace) -> int:
    cache, names = _cache(), _names_by_hash()
    rows = [{"model": names.get(e.hash, "-"), "hash": e.hash, "size": e.size, "stamped": e.stamped, "path": str(e.path)}
            for e in cache.entries()]
    print_listing(rows, args.json, f"cache: {cache.root}", "(empty)", ["MODEL", "SIZE", "VERIFIED", "PATH"],
                  lambda r: [r["model"], f"{r['size'] / 1e6:.1f} MB", "yes" if r["stamped"] else "no", r["path"]])
    return 0


def cmd_cache_verify(args: argparse.Namespace) -> int:
    cache, names = _cache(), _names_by_hash()
    report, bad = [], 0
    for e in cache.entries():
        got = cache.verify(e)
        ok = got == e.hash
        if not ok:
            bad += 1
            cache.remove(e)
        report.append({"model": names.get(e.hash, "-"), "path": str(e.path), "expected": e.hash, "got": got, "ok": ok})
    if args.json:
        print_json(report)
    else:
        for r in report:
            status = "ok" if r["ok"] else f"MISMATCH (got {r['got']}), deleted"
            print(f"{r['model']}  {r['path']}: {status}")
        print(f"{len(report)} file(s) checked, {bad} bad" + ("; fetch them again with `samzoo fetch NAME`" if bad else ""))
    return 1 if bad else 0


def cmd_cache_import(args: argparse.Namespace) -> int:
    from ..resolver.importer import import_file

    done = import_file(args.file, name=args.name, hash=args.hash)
    print(f"imported {args.file} as {done.what} ({done.hash})\n  {done.path}")
    return 0


def cmd_cache_clear(args: argparse.Namespace) -> int:
    cache = _cache()
    if not args.yes:
        if not sys.stdin.isatty():
            raise SamzooError(f"refusing to delete {cache.root} without confirmation; pass --yes")
        if input(f"delete every file under {cache.root}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    freed = cache.clear()
    print(f"cleared {cache.root} ({freed / 1e6:.1f} MB freed)")
    return 0
