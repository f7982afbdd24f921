"""``samzoo check-published``: are the catalog's published weight files still there, the same size and hash?"""

from __future__ import annotations

import argparse
import os
import sys

from ..plumbing.errors import ArgumentError, OutputError
from ._output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-published",
        help="check that every published weight file of the catalog is still there, the same size (and hash with --deep)",
        description="Classes: ok, changed, missing, moved (a permanent redirect), unreachable. Exit 1 when anything "
                    "drifted (or micro-sam's registry disagrees), 0 otherwise; offline: 0 with a warning (1 with --strict).",
    )
    p.add_argument("--models", nargs="+", metavar="NAME", help="only these catalog names (vit_b_lm: every version; vit_b_lm@v2)")
    p.add_argument("--catalog", metavar="DIR", help="check the specs of this folder only, not samzoo's catalog")
    p.add_argument("--deep", action="store_true", help="also stream every file and compare its hash")
    p.add_argument("--jobs", type=int, default=8, metavar="N", help="files checked at a time (default 8)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds a request may wait (default 10)")
    p.add_argument("--offline", action="store_true", help="check nothing (also: SAMZOO_OFFLINE=1)")
    p.add_argument("--strict", action="store_true", help="offline, exit 1 (nothing could be checked)")
    p.add_argument("--no-micro-sam", dest="micro_sam", action="store_false", help="skip the micro-sam registry comparison")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON report")
    out.add_argument("--markdown", action="store_true", help="print a Markdown report (also appended to $GITHUB_STEP_SUMMARY)")
    p.set_defaults(func=cmd_check_published)


def cmd_check_published(args: argparse.Namespace) -> int:
    from ..resolver.published_check import check_published

    if args.jobs < 1:
        raise ArgumentError("--jobs", f"must be at least 1, not {args.jobs}")
    if not 0 < args.timeout <= 600:
        raise ArgumentError("--timeout", f"must be between 0 and 600 seconds, not {args.timeout}")
    report = check_published(args.models, catalog=_catalog(args.catalog), deep=args.deep,
                             offline=True if args.offline else None, jobs=args.jobs, timeout=args.timeout,
                             micro_sam=args.micro_sam)
    if args.json:
        print_json(report.to_dict())
    elif args.markdown:
        sys.stdout.write(markdown(report))
    else:
        sys.stdout.write(text(report))
    _step_summary(report, args.markdown)
    if report.offline:
        print("samzoo: warning: offline: no published file was checked", file=sys.stderr)
        return 1 if args.strict else 0
    return 1 if report.drifted else 0


def _catalog(folder: str | None):
    """The specs of ``folder`` only (samzoo's own and the user's are loaded to resolve shared names, then left out)."""
    if folder is None:
        return None
    from pathlib import Path

    from ..catalog import Catalog

    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ArgumentError("--catalog", f"{folder}: not a folder of model specs")
    full = Catalog.load(root, include_user=False)
    mine = [s for s in full.all() if s.spec_file and Path(s.spec_file).resolve().is_relative_to(root.resolve())]
    return Catalog(mine)


def _step_summary(report, already_markdown: bool) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(markdown(report))
    except OSError as e:
        raise OutputError(f"$GITHUB_STEP_SUMMARY ({path}): {e.strerror}") from None


def text(report) -> str:
    lines = [f"{f.status:12} {f.model} {f.kind}: {f.detail}  [{f.url}]" for f in report.files]
    lines += [f"micro-sam    {r.name} {r.field}: catalog {r.catalog} / micro-sam {r.micro_sam}" for r in report.registry]
    lines += [f"note: {n}" for n in report.notes]
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items()) or "no files"
    lines.append(f"{len(report.files)} file(s){' (deep)' if report.deep else ''}: {counts}"
                 + ("; DRIFT" if report.drifted else ""))
    return "\n".join(lines) + "\n"


def markdown(report) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items()) or "no files"
    head = "drift found" if report.drifted else ("not checked (offline)" if report.offline else "no drift")
    out = [f"### samzoo check-published: {head}", "", f"{len(report.files)} file(s){' (deep)' if report.deep else ''}: {counts}", ""]
    out += ["| status | model | file | detail | URL |", "|---|---|---|---|---|"]
    out += [f"| {f.status} | {f.model} | {f.kind} | {_cell(f.detail)} | {_cell(f.url)} |" for f in report.files]
    if report.registry:
        out += ["", "| micro-sam name | field | catalog | micro-sam |", "|---|---|---|---|"]
        out += [f"| {r.name} | {r.field} | {_cell(r.catalog)} | {_cell(r.micro_sam)} |" for r in report.registry]
    out += [""] + [f"- {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def _cell(value) -> str:
    return str(value or "-").replace("|", "\\|").replace("\n", " ")
