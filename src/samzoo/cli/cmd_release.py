"""``samzoo release DIR``: publish the models of a ``samzoo build --all`` folder whose package changed, one draft each."""

from __future__ import annotations

import argparse

from ._output import print_json
from ._progress import StageProgress, add_quiet, wanted
from ._zoo_flags import add_upload_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "release",
        help="publish the built models whose package changed (one draft for review per model; see `samzoo publish`)",
        description="Reads DIR/collection.json (written by `samzoo build --all -o DIR`), publishes each model whose package "
                    "differs from its last release and from what the zoo holds under its id, and records each draft in "
                    "collection.json. One model's failure does not stop the others. Exit code 0 when none failed, 1 otherwise.",
    )
    p.add_argument("out_dir", metavar="DIR", help="the output folder of `samzoo build --all`")
    p.add_argument("--models", nargs="+", metavar="NAME", help="only these models (default: every built model)")
    add_upload_arguments(p, dry_run="say what would be published; write nothing",
                         skip_validation="do not validate models the build did not validate; the reason is recorded")
    add_quiet(p)
    p.set_defaults(func=cmd_release)


def cmd_release(args: argparse.Namespace) -> int:
    from ..pipeline import release

    with StageProgress(wanted(args)) as progress:
        records = release(args.out_dir, models=args.models, server=args.server, token_file=args.token_file, dry_run=args.dry_run,
                          skip_validation=args.skip_validation, check_spec=args.check_spec,
                          on_record=lambda r: progress.line(f"{r.model_type}: {r.action}"))
    if args.json:
        print_json([r.to_dict() for r in records])
    else:
        for r in records:
            print(f"{r.model_type:28} {r.action:10} {r.message}")
        counts = {a: sum(r.action == a for r in records) for a in ("published", "unchanged", "skipped", "error", "planned")}
        print("release: " + ", ".join(f"{n} {a}" for a, n in counts.items() if n))
    return 1 if any(r.action == "error" for r in records) else 0
