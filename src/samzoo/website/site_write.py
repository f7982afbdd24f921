"""Write the site's files as one folder, atomically: built in a temporary folder beside the target, then renamed.

An existing target is replaced only when it is empty or a site written before (it holds :data:`MARKER`);
an error or an interrupt leaves the target as it was and no temporary folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ..plumbing.errors import ArgumentError, OutputError

MARKER = ".samzoo-site"


def check_target(target: Path) -> None:
    """A usage error unless ``target`` is missing, an empty folder or a site ``samzoo site`` wrote."""
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir() or target.is_symlink():
        raise ArgumentError("output", f"{target}: exists and is not a folder; choose a new folder for the site")
    if any(target.iterdir()) and not (target / MARKER).is_file():
        raise ArgumentError("output", f"{target}: a folder that is not a samzoo site and not empty; choose a new or empty folder")


def _write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    for rel in sorted(files):
        parts = PurePosixPath(rel).parts
        if not parts or ".." in parts or PurePosixPath(rel).is_absolute():
            raise ValueError(f"unsafe site path {rel!r}")
        path = folder.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])


def write_site(target: str | Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` (relative path -> bytes) as the folder ``target``, replacing a previous site at once."""
    target = Path(target)
    check_target(target)
    parent = target.parent if str(target.parent) else Path(".")
    tag = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
    staging, old = parent / f".{target.name}.{tag}.part", parent / f".{target.name}.{tag}.old"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        _write_files(staging, {**files, MARKER: b"written by samzoo site; replaced by the next run\n"})
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
    except OSError as e:
        where = e.filename or target
        raise OutputError(f"{where}: cannot write the site ({e.strerror or type(e).__name__}); choose another folder") from None
    finally:
        if old.exists() and not target.exists():  # interrupted between the two renames: the previous site comes back
            with contextlib.suppress(OSError):
                os.replace(old, target)
        for leftover in (staging, old):
            with contextlib.suppress(OSError):
                shutil.rmtree(leftover)
    return target
