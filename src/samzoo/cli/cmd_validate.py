"""``samzoo validate``: check model packages as the zoo does, plus the SAM-specific checks."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import SamzooError
from ._progress import StageProgress, add_quiet, wanted


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate model packages (zip, folder, rdf.yaml or a folder of packages) as the zoo does, plus SAM checks",
        description="Exit code 0 when every package passed, 1 when one failed, 2 on usage errors.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="package zip, package folder, rdf.yaml, or a folder of packages")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, or auto (cuda when available)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="validate this many packages in parallel processes")
    p.add_argument("--report", action="append", default=[], metavar="PATH",
                   help="write a report; the suffix picks the format: .json, .md or .html (repeatable)")
    p.add_argument("--summary", metavar="PATH",
                   help="also write bioimageio's ValidationSummary JSON (as `bioimageio test --summary x.json`): "
                   "PATH.json for one package, else one <package>.json per package in the folder PATH")
    p.add_argument("--quick", action="store_true", help="skip the one encoder pass (sam_image_only, sam_two_images); all other checks run")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout instead of the text summary")
    add_quiet(p)
    p.set_defaults(func=cmd_validate)


def _done_line(report, done: int, total: int) -> str:
    icon = "ok" if report.passed else "FAILED"
    return f"[{done}/{total}] {icon:6} {report.source} ({report.seconds:.1f} s)"


def cmd_validate(args: argparse.Namespace) -> int:
    from ..validate import expand_sources, validate_many
    from ..validate.bioimageio_summary import check_summary_target, write_validation_summaries
    from ..validate.report import append_step_summary, check_report_path, to_json, write_report
    from ..validate.session import resolve_device

    if args.jobs < 1:
        raise SamzooError(f"--jobs {args.jobs}: use a number >= 1")
    reports_to = [check_report_path(p) for p in args.report]
    device = resolve_device(args.device)
    sources = expand_sources(args.sources)
    if args.summary:
        check_summary_target(args.summary, len(sources))
    total, started = len(sources), {}

    with StageProgress(wanted(args)) as progress:
        def on_check(source: str, check: str) -> None:
            started.setdefault(source, len(started) + 1)
            progress.stage(f"[{started[source]}/{total}] {Path(source).name}", check)

        if args.jobs > 1 and total > 1:
            progress.stage(f"{total} packages", f"validating, {args.jobs} at a time")
        reports = validate_many(
            sources, device=device, quick=args.quick, jobs=args.jobs,
            on_done=lambda r, done, n: progress.line(_done_line(r, done, n)), on_check=on_check,
        )
    for path in reports_to:
        write_report(reports, path)
    if args.summary:
        write_validation_summaries(reports, args.summary)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_step_summary(reports, summary)
    if args.json:
        sys.stdout.write(to_json(reports))
    else:
        _print_text(reports)
    return 0 if all(r.passed for r in reports) else 1


def _print_text(reports) -> None:
    for r in reports:
        print(f"{'PASSED' if r.passed else 'FAILED'}  {r.source}  ({r.seconds:.1f} s, {r.device}{', quick' if r.quick else ''})")
        for c in r.checks:
            print(f"  {c.status:8} {c.name:15} {c.message}")
    passed = sum(r.passed for r in reports)
    print(f"{passed} passed, {len(reports) - passed} failed")
