"""Hash strings that carry their algorithm (``xxh128:<hex>``, ``sha256:<hex>``) and streaming file hashing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import RunTimeFailure

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


@dataclass(frozen=True)
class Digest:
    """A content hash with its algorithm, parsed once from ``"alg:hex"``."""

    alg: str
    hex: str

    @classmethod
    def parse(cls, value: str | Digest) -> Digest:
        """``Digest.parse("xxh128:ab..")``; raise ValueError with the fix if malformed."""
        if isinstance(value, Digest):
            return value
        return cls(*parse_hash(value))

    def __str__(self) -> str:
        return f"{self.alg}:{self.hex}"

    @property
    def key(self) -> str:
        """Its name as a directory: ``xxh128-ab..``."""
        return f"{self.alg}-{self.hex}"


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


class HashMismatchError(RunTimeFailure):
    """A file's hash differs from the expected one."""

    def __init__(self, path: str | Path, expected: str, got: str) -> None:
        self.path, self.expected, self.got = Path(path), expected, got
        super().__init__(
            f"hash mismatch for {Path(path).name}: expected {expected}, got {got}. "
            "The file is corrupt or not the one the catalog names; delete it and download again, "
            "or check the hash in the spec."
        )


class BackgroundHash:
    """An incremental hash fed in order from one thread and computed in another (sha256 releases the GIL).

    ``update(chunk)`` returns at once while earlier chunks are still hashed, so reading or sending the
    next chunk overlaps hashing this one; at most ``depth`` chunks wait. ``hexdigest()`` waits for all.
    """

    def __init__(self, alg: str = "sha256", depth: int = 4) -> None:
        import queue
        import threading

        self._hash = hasher(alg)
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="samzoo-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Stop the thread (after the chunks given so far); safe to call twice."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> BackgroundHash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
