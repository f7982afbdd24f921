"""The verified weight cache: content-addressed files, each hashed once and then trusted by a stamp.

Layout under the cache root (``SAMZOO_CACHE_DIR``)::

    weights/<alg>-<hex>/<filename>         a file whose content hashes to alg:hex
    weights/<alg>-<hex>/.verified.json     its stamp: {"hash", "filename", "size", "mtime_ns", "verified_at"}
    external/<key>.json                    stamp of a verified file outside the cache (micro-sam's
                                           cache, an unpacked package folder): {"source", "hash", "size", "mtime_ns"}
    unverified/<key>/<filename>            files fetched from a URL without a known hash (+ .stamp.json)
    locks/<alg>-<hex>.lock                 one lock per file, held while it is fetched

A file is only renamed into ``weights/`` after its hash matched; the stamp is
written after the rename. A later lookup trusts the file when its size and
mtime_ns equal the stamp's (no re-hash); :meth:`WeightCache.verify` re-hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..atomic import temp_name, write_text_atomic  # noqa: F401  (temp_name is used by the resolver)
from ..hashing import file_hash, parse_hash

STAMP = ".verified.json"


def hash_key(digest: str) -> str:
    """Directory name of a hash: ``xxh128:ab..`` -> ``xxh128-ab..``."""
    alg, hexd = parse_hash(digest)
    return f"{alg}-{hexd}"


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=1))


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stamp_matches(stamp: dict | None, path: Path, digest: str) -> bool:
    """Whether ``stamp`` vouches for ``path`` as it is now (same hash, size and mtime_ns; no read)."""
    if not stamp or stamp.get("hash") != digest:
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return stamp.get("size") == st.st_size and stamp.get("mtime_ns") == st.st_mtime_ns


def make_stamp(path: Path, digest: str, **extra) -> dict:
    st = path.stat()
    return {"hash": digest, "filename": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra}


@dataclass(frozen=True)
class Entry:
    """One file of ``weights/``."""

    hash: str
    path: Path
    size: int
    stamped: bool  # stamp present and matching size + mtime


class WeightCache:
    """The cache under one root directory (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # --- verified, content-addressed files ---------------------------------------
    def entry_dir(self, digest: str) -> Path:
        return self.root / "weights" / hash_key(digest)

    def target(self, digest: str, filename: str) -> Path:
        return self.entry_dir(digest) / filename

    def lookup(self, digest: str) -> Path | None:
        """The cached file for ``digest`` if its stamp still matches (stat only, no hashing)."""
        stamp = _read_json(self.entry_dir(digest) / STAMP)
        if not stamp or not isinstance(stamp.get("filename"), str):
            return None
        path = self.entry_dir(digest) / stamp["filename"]
        return path if stamp_matches(stamp, path, digest) else None

    def lock(self, digest: str):
        """An inter-process lock for fetching ``digest`` (a ``filelock.FileLock``)."""
        from filelock import FileLock

        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        return FileLock(str(locks / f"{hash_key(digest)}.lock"))

    def commit(self, tmp: Path, digest: str, filename: str) -> Path:
        """Rename a verified temporary file into place and stamp it. ``tmp`` must be in :meth:`entry_dir`."""
        target = self.target(digest, filename)
        os.replace(tmp, target)
        write_json_atomic(self.entry_dir(digest) / STAMP, make_stamp(target, digest))
        return target

    def adopt(self, digest: str) -> Path | None:
        """A file already in the entry dir without a valid stamp: re-hash it once; stamp it or delete it."""
        d = self.entry_dir(digest)
        if not d.is_dir():
            return None
        alg, _ = parse_hash(digest)
        for path in sorted(d.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if file_hash(path, alg) == digest:
                write_json_atomic(d / STAMP, make_stamp(path, digest))
                return path
            path.unlink(missing_ok=True)
        return None

    def entries(self) -> list[Entry]:
        out = []
        base = self.root / "weights"
        if not base.is_dir():
            return out
        for d in sorted(base.iterdir()):
            alg, _, hexd = d.name.partition("-")
            if not d.is_dir() or not hexd:
                continue
            digest = f"{alg}:{hexd}"
            stamp = _read_json(d / STAMP)
            for path in sorted(d.iterdir()):
                if path.name.startswith(".") or not path.is_file():
                    continue
                ok = bool(stamp) and stamp.get("filename") == path.name and stamp_matches(stamp, path, digest)
                out.append(Entry(digest, path, path.stat().st_size, ok))
        return out

    def verify(self, entry: Entry) -> str:
        """Re-hash one entry; re-stamp it when it matches. Returns the hash it has now."""
        alg, _ = parse_hash(entry.hash)
        got = file_hash(entry.path, alg)
        if got == entry.hash:
            write_json_atomic(entry.path.parent / STAMP, make_stamp(entry.path, entry.hash))
        return got

    def remove(self, entry: Entry) -> None:
        shutil.rmtree(entry.path.parent, ignore_errors=True)

    # --- verified files outside the cache ----------------------------------------
    def _external_stamp(self, path: Path) -> Path:
        key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:20]
        return self.root / "external" / f"{key}.json"

    def external_verified(self, path: Path, digest: str) -> bool:
        """Whether ``path`` (outside the cache) hashes to ``digest``: hashed once, then trusted by a stamp."""
        path = Path(path)
        stamp_path = self._external_stamp(path)
        if stamp_matches(_read_json(stamp_path), path, digest):
            return True
        if not path.is_file():
            return False
        alg, _ = parse_hash(digest)
        if file_hash(path, alg) != digest:
            return False
        write_json_atomic(stamp_path, make_stamp(path, digest, source=str(path.resolve())))
        return True

    # --- files without a known hash ---------------------------------------------
    def unverified_dir(self, url: str) -> Path:
        return self.root / "unverified" / hashlib.sha1(url.encode()).hexdigest()[:20]

    def clear(self) -> int:
        """Delete everything samzoo cached; returns the number of bytes freed."""
        freed = 0
        for sub in ("weights", "external", "unverified", "locks"):
            d = self.root / sub
            if d.is_dir():
                freed += sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
                shutil.rmtree(d, ignore_errors=True)
        return freed
