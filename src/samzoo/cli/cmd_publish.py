"""``samzoo publish PKG``: upload a package to the zoo as a draft for review; ``--status ID`` reads a draft back."""

from __future__ import annotations

import argparse
import sys

from ..plumbing.errors import SamzooError
from ._output import print_json
from ._progress import StageProgress, add_quiet, byte_bars, wanted
from ._zoo_flags import add_upload_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "publish",
        help="upload a package to the BioImage.IO Model Zoo as a draft for review (never committed)",
        description="Validates the package, reads it with the newest bioimageio.spec, uploads every file as raw bytes, reads "
                    "each back and compares its sha256, then marks the draft for review. Run the same command again to "
                    "continue an interrupted upload. Token: $BIOIMAGEIO_HYPHA_UPLOAD_TOKEN or --token-file. "
                    "Exit code 0 on success, 1 when a check, the server or the upload failed, 2 on usage errors.",
    )
    p.add_argument("package", nargs="?", metavar="PKG", help="the package zip (or folder) to publish")
    p.add_argument("--status", metavar="ID", help="instead: read the draft of this zoo id back (files, sizes, sha256, review status)")
    add_upload_arguments(p, dry_run="check the token, the package and the target (new model / new version of ID) and print the plan; "
                                     "write nothing", skip_validation="do not run `samzoo validate` first; the reason is printed with the result")
    add_quiet(p)
    p.set_defaults(func=cmd_publish)


def cmd_publish(args: argparse.Namespace) -> int:
    if (args.package is None) == (args.status is None):
        raise SamzooError("give a package to publish, or --status ID to read a draft back (not both)")
    if args.status is not None:
        return _status(args)
    from ..pipeline import publish

    with StageProgress(wanted(args)) as progress:
        outcome = publish(args.package, server=args.server, token_file=args.token_file, dry_run=args.dry_run,
                          skip_validation=args.skip_validation, check_spec=args.check_spec, progress=byte_bars(args),
                          on_stage=lambda s: progress.stage("publishing", s))
    for warning in outcome.spec_warnings:
        print(f"samzoo: warning: {warning}", file=sys.stderr)
    if args.json:
        print_json(outcome.to_dict())
    elif outcome.result is None:
        print("\n".join([*outcome.plan.lines(), f"validation: {outcome.validation}", "dry run: nothing was written"]))
    else:
        _print_result(outcome)
    return 0


def _print_result(outcome) -> None:
    r = outcome.result
    if r.status == "published":
        print(f"{r.artifact_id}: this package is already published (committed by the curators); nothing to do")
        return
    print(f"{r.artifact_id}: draft for review ({r.kind}{', created now' if r.created else ''}), status {r.status}")
    print(f"  zoo id: {r.zoo_id}")
    print(f"  review: {r.review_url}")
    print(f"  files: {len(r.files)} ({r.sent} sent, {len(r.files) - r.sent} already there), each read back and its sha256 verified")
    print(f"  validation: {outcome.validation}")
    if outcome.catalog_file:
        print(f"  catalog: recorded the zoo id in {outcome.catalog_file}")


def _status(args: argparse.Namespace) -> int:
    from ..publisher import draft_status, read_token

    token = read_token(args.token_file) if args.token_file else _optional_token()
    s = draft_status(args.status, server=args.server, token=token)
    if args.json:
        print_json(s.to_dict())
        return 0
    kind = "draft" if s.staged else "no draft (published state)"
    print(f"{s.artifact_id}: {kind}, status {s.status}; versions: {', '.join(s.versions) or 'none yet'}")
    print(f"  review: {s.review_url}")
    for f in s.files:
        print(f"  {f.path}  {f.size} bytes  sha256:{f.sha256}")
    return 0


def _optional_token():
    """The token when one is set (a draft is readable by its owner; published models by anyone)."""
    from ..publisher import read_token
    from ..publisher.zoo_server import NoTokenError

    try:
        return read_token()
    except NoTokenError:
        return None
