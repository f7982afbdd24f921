"""``samzoo validate``: check model packages as the zoo does, plus the SAM-specific checks."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import OutputError, SamzooError
from ._jobs import add_job_arguments, job_kwargs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate model packages (zip, folder, rdf.yaml or a folder of packages) as the zoo does, plus SAM checks",
        description="Exit code 0 when every package passed, 1 when one failed, 2 on usage errors.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="package zip, package folder, rdf.yaml, or a folder of packages")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, or auto (cuda when available)")
    add_job_arguments(p, "validate this many packages")
    p.add_argument("--report", action="append", default=[], metavar="PATH",
                   help="write a report; the suffix picks the format: .json, .md or .html (repeatable)")
    p.add_argument("--quick", action="store_true", help="skip the one encoder pass (sam_image_only, encoder); all other checks run")
    p.add_argument("--core", dest="core_versions", action="append", default=[], metavar="VERSION",
                   help="also run the zoo's test (test_description, determinism full) under this bioimageio.core release, "
                        "in an isolated environment built from the package's environment.yaml (repeatable; cached)")
    p.add_argument("--catalog", metavar="DIR", default=None,
                   help="a folder of extra model specs for the identity check (default: samzoo's own catalog only, "
                        "never SAMZOO_CATALOG)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout instead of the text summary")
    p.set_defaults(func=cmd_validate)


def _progress(report, done: int, total: int) -> None:
    icon = "ok" if report.passed else "FAILED"
    sys.stderr.write(f"[{done}/{total}] {icon:6} {report.source} ({report.seconds:.1f} s)\n")
    sys.stderr.flush()


def cmd_validate(args: argparse.Namespace) -> int:
    from ..validate import expand_sources, validate_many
    from ..validate.report import (
        append_step_summary,
        check_report_path,
        to_json,
        write_report,
    )
    from ..validate.session import resolve_device

    if args.jobs < 1:
        raise SamzooError(f"--jobs {args.jobs}: use a number >= 1")
    from ..validate.core_releases import check_core_versions
    from ..validate.runner import check_catalog_dir

    reports_to = [check_report_path(p) for p in args.report]
    check_core_versions(args.core_versions)
    check_catalog_dir(args.catalog)
    device = args.device if args.scheduler else resolve_device(args.device)  # a cluster's workers resolve it
    sources = expand_sources(args.sources)
    progress = _progress if sys.stderr.isatty() else None
    reports = validate_many(sources, device=device, quick=args.quick, on_done=progress, **job_kwargs(args),
                            core_versions=args.core_versions, catalog=args.catalog)
    if args.json:
        sys.stdout.write(to_json(reports))
    else:
        _print_text(reports)
    code = 0 if all(r.passed for r in reports) else 1
    for path in reports_to:
        write_report(reports, path)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            append_step_summary(reports, summary)
        except OutputError as e:
            print(f"samzoo: error: $GITHUB_STEP_SUMMARY: {e}", file=sys.stderr)
            code = 1
    return code


def _core_note(c) -> str:
    if not c.env:  # no environment: it could not be built
        return ""
    env = f"environment installed in {c.install_seconds:.1f} s" if c.installed else "cached environment"
    return f" (test {c.seconds:.1f} s; {env})"


def _print_text(reports) -> None:
    for r in reports:
        print(f"{'PASSED' if r.passed else 'FAILED'}  {r.source}  ({r.seconds:.1f} s, {r.device}{', quick' if r.quick else ''})")
        for c in r.checks:
            print(f"  {c.status:8} {c.name:15} {c.message}")
        for c in r.cores:
            print(f"  {c.status:8} core {c.core:10} {c.message}{_core_note(c)}")
    passed = sum(r.passed for r in reports)
    print(f"{passed} passed, {len(reports) - passed} failed")
