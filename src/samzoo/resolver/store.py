"""The verified weight store: content-addressed files, each hashed once and then trusted by a stamp.

Layout under the cache root (``SAMZOO_CACHE_DIR``)::

    weights/<alg>-<hex>/<filename>         a file whose content hashes to alg:hex
    weights/<alg>-<hex>/.verified.json     its stamp: {"hash", "filename", "size", "mtime_ns", "ctime_ns", "verified_at"}
    weights/.staging/                      files being written (per-process temporary names)
    files/<alg>-<hex>/<filename>           any other file a package names (rdf.yaml, test tensors, ...): the
                                           same writer and stamps, without the weights-file check (+ .verified.json)
    external/<key>.json                    stamp of a verified file outside the cache (micro-sam's
                                           cache, an unpacked package folder): {"source", "hash", "size", "mtime_ns"}
    unverified/<key>/<filename>            files fetched from a URL without a known hash (+ .stamp.json)
    locks/<alg>-<hex>.lock                 one lock per file, held while it is fetched

Every file enters the store one way, :meth:`WeightCache.writer`: bytes are hashed while
they are written to a temporary name; on a clean exit the hash is checked, the lock taken,
the store looked up and the file renamed into place and stamped (or discarded when an
equal file is already there). On any error or interrupt the temporary file is deleted.
Before a file is committed it must load with ``torch.load(weights_only=True)`` as a dict:
a pickle that would run code is refused even when its hash is the expected one.
A later lookup trusts a file when its size, mtime_ns and ctime_ns equal the stamp's (no
re-hash; a changed inode time means one re-hash); :meth:`WeightCache.verify` re-hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..plumbing.atomic import temp_name, write_text_atomic
from ..plumbing.errors import SamzooError
from ..plumbing.hashing import Digest, HashMismatchError, file_hash, hasher
from ..plumbing.untrusted import InputLimitError, load_json_bounded

STAMP = ".verified.json"
UNVERIFIED_STAMP = ".stamp.json"


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=1))


def read_json(path: Path) -> dict | None:
    """A JSON object read from an untrusted file, or None when missing, malformed, too large or not a regular file."""
    try:
        data = load_json_bounded(path, 1 << 20, "stamp")
    except (InputLimitError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stamp_matches(stamp: dict | None, path: Path, digest: Digest | str) -> bool:
    """Whether ``stamp`` vouches for ``path`` as it is now (same hash, size, mtime_ns and ctime_ns; no read).

    The inode change time catches a file rewritten in place with its size and mtime put back
    (``os.utime`` cannot set ctime): such a file is re-hashed once by the caller. A stamp
    without ``ctime_ns`` (older samzoo) counts as not matching, so it is re-hashed and re-stamped once.
    """
    if not stamp or stamp.get("hash") != str(digest):
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return (stamp.get("size") == st.st_size and stamp.get("mtime_ns") == st.st_mtime_ns
            and stamp.get("ctime_ns") == st.st_ctime_ns)


def make_stamp(path: Path, digest: Digest | str, **extra) -> dict:
    st = path.stat()
    return {"hash": str(digest), "filename": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns, "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}


class UnsafeWeightsError(SamzooError):
    """A file whose hash matched but which is not a PyTorch weights file that loads with ``weights_only=True``."""

    exit_code = 1


def check_weights_file(path: Path, name: str) -> None:
    """Refuse what the store must never hold: a pickle that needs arbitrary code, or not a dict of tensors.

    Read with ``torch.load(weights_only=True)`` (memory-mapped for zip-format files, so cheap);
    nothing in the file is executed.
    """
    from ..plumbing.sam_checkpoint import CheckpointError, safe_load_weights

    try:
        safe_load_weights(path)
    except CheckpointError as e:
        detail = str(e).split(": ", 1)[-1]
        raise UnsafeWeightsError(f"{name}: not a PyTorch weights file that loads safely ({detail}); "
                                 "nothing was kept in the cache") from None


class HashingFile:
    """A file-like object that writes to ``fileobj`` and feeds every byte to one hasher per algorithm.

    ``path`` is where the store kept the file, set when its :meth:`WeightCache.writer` block ends.
    """

    def __init__(self, fileobj: BinaryIO, algs: Sequence[str]) -> None:
        self.fileobj, self.algs = fileobj, list(algs)
        self.path: Path | None = None
        self.reset()

    def reset(self) -> None:
        """Start again from an empty file (a retried download)."""
        self.fileobj.seek(0)
        self.fileobj.truncate()
        self._hashers = {alg: hasher(alg) for alg in self.algs}
        self.size = 0

    def write(self, data: bytes) -> int:
        for h in self._hashers.values():
            h.update(data)
        self.size += len(data)
        return self.fileobj.write(data)

    def flush(self) -> None:
        pass  # pooch flushes after every chunk; the OS buffer is enough, the store fsyncs

    def digests(self) -> dict[str, Digest]:
        """The hash of everything written so far, per algorithm."""
        return {alg: Digest(alg, h.hexdigest()) for alg, h in self._hashers.items()}


@dataclass(frozen=True)
class CachedFile:
    """One file of ``weights/``."""

    hash: str
    path: Path
    size: int
    stamped: bool  # stamp present and matching size + mtime


@dataclass(frozen=True)
class Target:
    """What a written file may be: ``digest`` (None: whatever sha256 it has) stored as ``filename``.

    ``weights``: a weights file (kept under ``weights/`` once it loads safely); False: any other file of a
    package, kept under ``files/`` and never loaded as weights from there.
    """

    digest: Digest | None
    filename: str
    weights: bool = True


def area(weights: bool) -> str:
    """The store's folder for weight files or for other files."""
    return "weights" if weights else "files"


class WeightCache:
    """The store under one root directory (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._locks: dict[str, object] = {}

    # --- verified, content-addressed files ---------------------------------------
    def entry_dir(self, digest: Digest, weights: bool = True) -> Path:
        return self.root / area(weights) / digest.key

    def lookup(self, digest: Digest, weights: bool = True) -> Path | None:
        """The cached file for ``digest`` if its stamp still matches (stat only, no hashing)."""
        stamp = read_json(self.entry_dir(digest, weights) / STAMP)
        if not stamp or not isinstance(stamp.get("filename"), str):
            return None
        path = self.entry_dir(digest, weights) / stamp["filename"]
        return path if stamp_matches(stamp, path, digest) else None

    def lock(self, key: Digest | Path):
        """An inter-process lock for a digest (or an ``unverified/`` folder); re-entrant in this process."""
        from filelock import FileLock

        path = key / ".lock" if isinstance(key, Path) else self.root / "locks" / f"{key.key}.lock"
        if str(path) not in self._locks:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._locks[str(path)] = FileLock(str(path))
        return self._locks[str(path)]

    def adopt(self, digest: Digest) -> Path | None:
        """A file already in the entry dir without a valid stamp: re-hash it once; stamp it or delete it."""
        d = self.entry_dir(digest)
        if not d.is_dir():
            return None
        for path in sorted(d.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if file_hash(path, digest.alg) == str(digest):
                write_json_atomic(d / STAMP, make_stamp(path, digest))
                return path
            path.unlink(missing_ok=True)
        return None

    # --- the one way in ------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, targets: Target | Sequence[Target], *, url: str | None = None) -> Iterator[HashingFile]:
        """A hashing file in a temporary name; on exit it is checked and committed (``.path``) or discarded.

        With several ``targets`` the file is stored as the first whose digest it has; with none
        matching, :class:`~samzoo.plumbing.hashing.HashMismatchError` is raised and nothing is kept. With
        ``url`` (a download without a known hash) it goes to ``unverified/`` instead.
        """
        targets = [targets] if isinstance(targets, Target) else list(targets)
        algs = list(dict.fromkeys(t.digest.alg if t.digest else "sha256" for t in targets))
        staging = self.root / "weights" / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(staging / targets[0].filename)
        try:
            with open(tmp, "w+b") as f:
                out = HashingFile(f, algs)
                yield out
                f.flush()
                os.fsync(f.fileno())
            got = out.digests()
            if url is not None:
                check_weights_file(tmp, url)
                out.path = self._commit_unverified(tmp, url, targets[0].filename, got["sha256"])
                return
            for t in targets:
                digest = t.digest or got["sha256"]
                if got[digest.alg] == digest:
                    if t.weights:
                        check_weights_file(tmp, t.filename)  # the right bytes, but are they safe to load?
                    out.path = self._commit(tmp, digest, t.filename, t.weights)
                    return
            raise HashMismatchError(targets[0].filename, " or ".join(str(t.digest) for t in targets),
                                    ", ".join(str(d) for d in got.values()))
        finally:
            tmp.unlink(missing_ok=True)

    def _commit(self, tmp: Path, digest: Digest, filename: str, weights: bool = True) -> Path:
        with self.lock(digest):
            found = self.lookup(digest, weights)
            if found is not None:
                return found
            target = self.entry_dir(digest, weights) / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            write_json_atomic(target.parent / STAMP, make_stamp(target, digest))
            return target

    def _commit_unverified(self, tmp: Path, url: str, filename: str, digest: Digest) -> Path:
        d = self.unverified_dir(url)
        with self.lock(d):
            target = d / filename
            os.replace(tmp, target)
            write_json_atomic(d / UNVERIFIED_STAMP, make_stamp(target, digest, url=url))
            return target

    # --- listing and checking -------------------------------------------------------
    def entries(self) -> list[CachedFile]:
        out = []
        base = self.root / "weights"
        if not base.is_dir():
            return out
        for d in sorted(base.iterdir()):
            alg, _, hexd = d.name.partition("-")
            if not d.is_dir() or not hexd:
                continue
            digest = f"{alg}:{hexd}"
            stamp = read_json(d / STAMP)
            for path in sorted(d.iterdir()):
                if path.name.startswith(".") or not path.is_file():
                    continue
                ok = bool(stamp) and stamp.get("filename") == path.name and stamp_matches(stamp, path, digest)
                out.append(CachedFile(digest, path, path.stat().st_size, ok))
        return out

    def verify(self, entry: CachedFile) -> str:
        """Re-hash one entry; re-stamp it when it matches. Returns the hash it has now."""
        got = file_hash(entry.path, Digest.parse(entry.hash).alg)
        if got == entry.hash:
            write_json_atomic(entry.path.parent / STAMP, make_stamp(entry.path, entry.hash))
        return got

    def remove(self, entry: CachedFile) -> None:
        shutil.rmtree(entry.path.parent, ignore_errors=True)

    # --- verified files outside the cache ----------------------------------------
    def _external_stamp(self, path: Path) -> Path:
        key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:20]
        return self.root / "external" / f"{key}.json"

    def external_verified(self, path: Path, digest: Digest) -> bool:
        """Whether ``path`` (outside the cache) hashes to ``digest``: hashed once, then trusted by a stamp."""
        path = Path(path)
        stamp_path = self._external_stamp(path)
        if stamp_matches(read_json(stamp_path), path, digest):
            return True
        if not path.is_file():
            return False
        if file_hash(path, digest.alg) != str(digest):
            return False
        write_json_atomic(stamp_path, make_stamp(path, digest, source=str(path.resolve())))
        return True

    # --- files without a known hash ---------------------------------------------
    def unverified_dir(self, url: str) -> Path:
        return self.root / "unverified" / hashlib.sha1(url.encode()).hexdigest()[:20]

    def unverified_lookup(self, url: str, filename: str) -> Path | None:
        """The file fetched earlier from ``url`` if its stamp still matches."""
        d = self.unverified_dir(url)
        stamp = read_json(d / UNVERIFIED_STAMP)
        target = d / filename
        return target if stamp and stamp_matches(stamp, target, stamp.get("hash", "")) else None

    def clear(self) -> int:
        """Delete everything samzoo cached; returns the number of bytes freed."""
        freed = 0
        for sub in ("weights", "files", "zoo", "external", "unverified", "locks"):
            d = self.root / sub
            if d.is_dir():
                freed += sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
                shutil.rmtree(d, ignore_errors=True)
        return freed
