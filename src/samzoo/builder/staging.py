"""Staging next to the output: a folder and a temporary zip named by host and pid, removed whatever happens.

A build killed with SIGKILL (or a machine that lost power) cannot clean up after itself; the next
build of the same package removes what dead builds left (:func:`clean_stale_staging`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..plumbing.errors import OutputError


def _owner() -> str:
    """Who owns a staging name: host and pid (a pid alone is ambiguous across machines sharing a folder)."""
    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}"


def _alive(owner: str) -> bool:
    """Whether the build that named a staging folder ``owner`` may still run (dead only when we can tell)."""
    host, _, pid = owner.rpartition("-")
    if host != _owner().rpartition("-")[0] or not pid.isdigit():
        return True  # another machine's, or not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_stale_staging(folder: Path, name: str) -> list[Path]:
    """Remove the staging folders and temporary zips of builds of ``name`` in ``folder`` whose process is gone.

    A build killed with SIGKILL (or a machine that lost power) cannot clean up after itself;
    the next build of the same package does it. Returns what was removed.
    """
    removed = []
    for p in folder.glob(f".{name}.*"):
        parts = p.name[len(name) + 2:].split(".")
        if len(parts) < 2 or parts[-1] not in ("build", "tmp") or _alive(parts[0]):
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        removed.append(p)
    return removed


@contextlib.contextmanager
def staging_next_to(out_path: Path) -> Iterator[tuple[Path, Path]]:
    """A staging folder and a temporary zip name next to ``out_path``; both gone afterwards, whatever happens.

    Both carry host and pid, so a later build removes those of builds that were killed (:func:`clean_stale_staging`).
    """
    clean_stale_staging(out_path.parent, out_path.name)
    owner = _owner()
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.{owner}.", suffix=".build", dir=out_path.parent))
    except OSError as e:
        raise OutputError(f"{out_path.parent}: cannot write the package there ({e.strerror or type(e).__name__}); choose another output") from None
    tmp_zip = out_path.with_name(f".{out_path.name}.{owner}.tmp")
    try:
        yield staging, tmp_zip
    finally:
        tmp_zip.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
