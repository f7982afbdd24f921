"""The flags of the commands that upload to the zoo (``publish``, ``release``): server, token, dry run, the checks before."""

from __future__ import annotations

import argparse


def add_upload_arguments(p: argparse.ArgumentParser, *, dry_run: str, skip_validation: str) -> None:
    """``--server``, ``--token-file``, ``--dry-run``, ``--skip-validation REASON``, ``--no-spec-check`` and ``--json``."""
    p.add_argument("--server", metavar="URL", help="the zoo's hypha server (default: $SAMZOO_ZOO_SERVER, else https://hypha.aicell.io)")
    p.add_argument("--token-file", dest="token_file", metavar="FILE", help="read the upload token from FILE")
    p.add_argument("--dry-run", dest="dry_run", action="store_true", help=dry_run)
    p.add_argument("--skip-validation", dest="skip_validation", metavar="REASON", help=skip_validation)
    p.add_argument("--no-spec-check", dest="check_spec", action="store_false",
                   help="do not read the package with the newest bioimageio.spec release before uploading")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
