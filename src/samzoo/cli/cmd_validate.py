"""``samzoo validate``: check model packages as the zoo does, plus the SAM-specific checks."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..plumbing.errors import OutputError, SamzooError
from ._jobs import add_job_arguments, job_kwargs
from ._progress import StageProgress, add_quiet, wanted


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="validate model packages (zip, folder, rdf.yaml or a folder of packages) as the zoo does, plus SAM checks",
        description="Exit code 0 when every package passed, 1 when one failed, 2 on usage errors.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="package zip, package folder, rdf.yaml, a folder of packages, or a zoo id (affable-otter, affable-otter/v1)")
    p.add_argument("--stage", action="store_true", help="a zoo id SOURCE names its staged draft (under review)")
    p.add_argument("--offline", action="store_true", help="never use the network for zoo ids (also: SAMZOO_OFFLINE=1)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, or auto (cuda when available)")
    add_job_arguments(p, "validate this many packages")
    p.add_argument("--report", action="append", default=[], metavar="PATH",
                   help="write a report; the suffix picks the format: .json, .md or .html (repeatable)")
    p.add_argument("--summary", metavar="PATH",
                   help="also write bioimageio's ValidationSummary JSON (as `bioimageio test --summary x.json`): "
                   "PATH.json for one package, else one <package>.json per package in the folder PATH")
    p.add_argument("--quick", action="store_true", help="skip the one encoder pass (sam_image_only, encoder); all other checks run")
    p.add_argument("--weight-format", dest="weight_format", metavar="F", default=None,
                   help="test only this weight format (pytorch_state_dict, torchscript, onnx, ...); default: every format "
                   "the package declares (inference: the first, weight_formats: the others)")
    p.add_argument("--core", dest="core_versions", action="append", default=[], metavar="VERSION",
                   help="also run the zoo's test (test_description, determinism full) under this bioimageio.core release, "
                        "in an isolated environment built from the package's environment.yaml (repeatable; cached)")
    p.add_argument("--catalog", metavar="DIR", default=None,
                   help="a folder of extra model specs for the identity check (default: samzoo's own catalog only, "
                        "never SAMZOO_CATALOG)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout instead of the text summary")
    add_quiet(p)
    p.set_defaults(func=cmd_validate)


def _done_line(report, done: int, total: int) -> str:
    icon = "ok" if report.passed else "FAILED"
    return f"[{done}/{total}] {icon:6} {report.source} ({report.seconds:.1f} s)"


def cmd_validate(args: argparse.Namespace) -> int:
    from ..plumbing.jobs import Placement
    from ..validate.model_worker import ModelWorker

    args.sources = _zoo_sources(args)
    # validated in this process: the model worker starts first, its imports run beside everything else
    # (the arguments are checked after; a placement that cannot be is a usage error there)
    sources = _listed_sources(args.sources)
    here = Placement(args.jobs, args.scheduler).for_calls(len(sources or [1])).in_process
    with ModelWorker() as worker:
        if here:
            worker.start()
        return _validate_command(args, worker if here else None, sources)


def _zoo_sources(args: argparse.Namespace) -> list[str]:
    """Each SOURCE that is no path but a zoo id, replaced by its package folder fetched into the cache."""
    from ..resolver.zoo_package import fetch_zoo_package, parse_zoo_id

    out = []
    for src in args.sources:
        if Path(src).exists() or parse_zoo_id(src) is None:
            if args.stage:
                raise SamzooError(f"--stage applies to zoo ids; {src!r} is not one")
            out.append(src)
        else:
            out.append(str(fetch_zoo_package(src, stage=args.stage, offline=True if args.offline else None)))
    return out


def _listed_sources(sources: list[str]) -> list[str] | None:
    """The packages ``sources`` name, or None when they cannot be listed (the command reports why, in its order)."""
    from ..validate import expand_sources

    try:
        return expand_sources(sources)
    except SamzooError:
        return None


def _runner_note(args: argparse.Namespace, total: int) -> str | None:
    """One line when ``--jobs N`` starts fewer local workers than asked, saying from how many packages it pays off."""
    from ..plumbing.jobs import Placement, jobs_per_worker

    if args.scheduler or args.jobs <= 1:
        return None
    workers = Placement(args.jobs).for_calls(total).jobs
    if workers >= args.jobs:
        return None
    per = jobs_per_worker()
    where = "in this process" if workers == 1 else f"on {workers} worker processes"
    return (f"samzoo: {total} package(s): validating {where}; a worker's start pays off from {per} packages per worker "
            f"(--jobs {args.jobs} from {per * args.jobs})")


def _options(args: argparse.Namespace):
    """The flags as the library's :class:`~samzoo.validate.ValidationOptions` (which checks them)."""
    from ..validate import ValidationOptions

    return ValidationOptions(
        device=args.device, quick=args.quick, core_versions=tuple(args.core_versions), catalog=args.catalog,
        weight_format=args.weight_format, **job_kwargs(args),
    )


def _validate_command(args: argparse.Namespace, worker, sources: list[str] | None) -> int:
    from ..validate import expand_sources
    from ..validate.bioimageio_summary import check_summary_target
    from ..validate.report import check_report_path

    reports_to = [check_report_path(p) for p in args.report]
    options = _options(args)
    sources = sources if sources is not None else expand_sources(args.sources)  # None: raises the one-line error
    if args.summary:
        check_summary_target(args.summary, len(sources))
    reports = _validate_with_progress(sources, options, args, worker)
    code = _write_outputs(reports, reports_to, args)
    if args.json:
        from ..validate.report import to_json

        sys.stdout.write(to_json(reports))
    else:
        _print_text(reports)
    return code if code else (0 if all(r.passed for r in reports) else 1)


def _validate_with_progress(sources: list, options, args: argparse.Namespace, worker) -> list:
    """Validate, showing the check each package is at (on a terminal, unless --quiet)."""
    from ..validate import validate_many

    total, started = len(sources), {}
    with StageProgress(wanted(args)) as progress:
        def on_check(source: str, check: str) -> None:
            started.setdefault(source, len(started) + 1)
            progress.stage(f"[{started[source]}/{total}] {Path(source).name}", check)

        note = _runner_note(args, total)
        if note and progress.enabled:
            progress.line(note)
        elif note:
            print(note, file=sys.stderr, flush=True)
        elif args.jobs > 1 and total > 1:
            progress.stage(f"{total} packages", f"validating, {args.jobs} at a time")
        return validate_many(
            sources, options, on_done=lambda r, done, n: progress.line(_done_line(r, done, n)), on_check=on_check,
            model_worker=worker,
        )


def _write_outputs(reports: list, reports_to: list, args: argparse.Namespace) -> int:
    """The reports, bioimageio summaries and $GITHUB_STEP_SUMMARY; 1 when the step summary cannot be written."""
    from ..validate.bioimageio_summary import write_validation_summaries
    from ..validate.report import append_step_summary, write_report

    for path in reports_to:
        write_report(reports, path)
    if args.summary:
        write_validation_summaries(reports, args.summary)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            append_step_summary(reports, summary)
        except OutputError as e:
            print(f"samzoo: error: $GITHUB_STEP_SUMMARY: {e}", file=sys.stderr)
            return 1
    return 0


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
