"""The options shared by every command that runs jobs: ``--jobs``, ``--scheduler``, ``--resources``."""

from __future__ import annotations

import argparse

from ..plumbing.errors import ArgumentError


def add_job_arguments(parser, what: str) -> None:
    """Add the three options to ``parser`` (a parser or an argument group); ``what`` is one job, e.g. "packages"."""
    parser.add_argument("--jobs", "-j", type=int, default=1,
                        help=f"{what} at a time, each in its own worker process (a local Dask cluster); default 1, in this process")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask cluster of this scheduler (e.g. tcp://10.0.0.5:8786) instead; its workers must see the same paths")
    parser.add_argument("--resources", metavar="NAME=N", action="append", default=[],
                        help="what each job needs of a Dask worker, e.g. GPU=1 (repeatable; workers offer it with: dask worker --resources GPU=1)")


def parse_resources(items: list[str]) -> dict[str, float]:
    """``["GPU=1", "MEM=2e9"]`` (or ``["GPU=1,MEM=2e9"]``) -> ``{"GPU": 1.0, "MEM": 2e9}``."""
    out: dict[str, float] = {}
    for item in (part for text in items for part in text.split(",") if part.strip()):
        name, sep, amount = item.partition("=")
        try:
            out[name.strip()] = float(amount)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ArgumentError("resources", f"{item!r} is not NAME=AMOUNT, e.g. GPU=1")
    return out


def job_kwargs(args: argparse.Namespace) -> dict:
    """The job runner's keyword arguments of the library call (``jobs``, ``scheduler``, ``resources``)."""
    return {"jobs": args.jobs, "scheduler": args.scheduler, "resources": parse_resources(args.resources)}
