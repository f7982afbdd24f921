"""Files added, removed and changed between two packages (size and sha256, hashed in a stream)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..plumbing.hashing import hasher
from .package_side import PackageSide

_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass(frozen=True)
class FileChange:
    """One file: ``status`` is ``added``, ``removed`` or ``changed``; ``old``/``new`` its entries on each side."""

    path: str
    status: str
    old: FileEntry | None
    new: FileEntry | None


def hash_file(side: PackageSide, name: str, keep: Callable[[bytes], None] | None = None) -> FileEntry:
    """Size and sha256 of one file of ``side``, read once in chunks; each chunk is also passed to ``keep``."""
    h, size = hasher("sha256"), 0
    with side.open_file(name) as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
            if keep is not None:
                keep(chunk)
    return FileEntry(size, h.hexdigest())


def file_changes(a: dict[str, FileEntry], b: dict[str, FileEntry]) -> list[FileChange]:
    """The files of ``b`` that are not those of ``a``, sorted by path."""
    out = []
    for path in sorted({*a, *b}):
        old, new = a.get(path), b.get(path)
        if old is None:
            out.append(FileChange(path, "added", None, new))
        elif new is None:
            out.append(FileChange(path, "removed", old, None))
        elif old != new:
            out.append(FileChange(path, "changed", old, new))
    return out
