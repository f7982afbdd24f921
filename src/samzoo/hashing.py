"""Hash strings that carry their algorithm (``xxh128:<hex>``, ``sha256:<hex>``) and streaming file hashing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Callable

from .errors import RunTimeFailure, SamzooError

_CHUNK = 8 * 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]+$")
#: algorithm -> hex digest length
ALGORITHMS: dict[str, int] = {"xxh128": 32, "sha256": 64, "md5": 32}


def parse_hash(value: str) -> tuple[str, str]:
    """Split ``"alg:hex"`` into ``(alg, hex)``; raise ValueError with the fix if malformed."""
    alg, sep, digest = str(value).partition(":")
    alg, digest = alg.strip().lower(), digest.strip().lower()
    if not sep or alg not in ALGORITHMS:
        raise ValueError(
            f"hash {value!r} must be '<algorithm>:<hex>' with algorithm one of "
            f"{', '.join(ALGORITHMS)} (e.g. 'sha256:9f86d0...')"
        )
    if not _HEX.match(digest) or len(digest) != ALGORITHMS[alg]:
        raise ValueError(
            f"hash {value!r}: a {alg} digest is {ALGORITHMS[alg]} hex characters, got {len(digest)}"
        )
    return alg, digest


def hasher(alg: str):
    """A new incremental hash object for ``alg`` (``update``/``hexdigest``)."""
    if alg == "xxh128":
        import xxhash

        return xxhash.xxh3_128()
    if alg in ("sha256", "md5"):
        return hashlib.new(alg)
    raise ValueError(f"unsupported hash algorithm {alg!r}; use one of {', '.join(ALGORITHMS)}")


def file_digest(path: str | Path, alg: str = "sha256", progress: Callable[[int], None] | None = None) -> str:
    """Hash a file in chunks and return the bare hex digest."""
    h = hasher(alg)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return h.hexdigest()


def file_hash(path: str | Path, alg: str = "sha256", progress: Callable[[int], None] | None = None) -> str:
    """Hash a file in chunks and return ``"alg:hex"``."""
    return f"{alg}:{file_digest(path, alg, progress)}"


def verify_file(path: str | Path, expected: str) -> None:
    """Raise :class:`HashMismatchError` unless ``path`` hashes to ``expected`` (``alg:hex``)."""
    alg, digest = parse_hash(expected)
    got = file_hash(path, alg)
    if got != f"{alg}:{digest}":
        raise HashMismatchError(path, f"{alg}:{digest}", got)


class HashMismatchError(RunTimeFailure):
    """A file's hash differs from the expected one."""

    def __init__(self, path: str | Path, expected: str, got: str) -> None:
        self.path, self.expected, self.got = Path(path), expected, got
        super().__init__(
            f"hash mismatch for {Path(path).name}: expected {expected}, got {got}. "
            "The file is corrupt or not the one the catalog names; delete it and download again, "
            "or check the hash in the spec."
        )
