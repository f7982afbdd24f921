"""``samzoo cache import``: place a hand-carried file into the verified cache after checking its hash."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog, load_catalog
from ..plumbing.errors import ArgumentError, RunTimeFailure, SamzooError
from ..plumbing.hashing import Digest, HashMismatchError
from ..plumbing.cache_root import cache_root
from .fetch import wanted_for
from .store import Target, WeightCache


@dataclass(frozen=True)
class Imported:
    path: Path
    hash: str
    what: str  # "vit_b_lm@v4 encoder", or the hash


def import_file(file: str | os.PathLike, *, name: str | None = None, hash: str | None = None,
                cache_dir: str | os.PathLike | None = None, catalog: Catalog | None = None) -> Imported:
    """Copy ``file`` into the cache as the encoder or decoder of catalog model ``name`` (or as ``hash``).

    The copy is hashed while it is written and kept only if it matches; the original is not changed.
    """
    src = Path(file).expanduser()
    if not src.is_file():
        raise ArgumentError("file", f"{src}: no such file; give the path of the downloaded weights")
    if (name is None) == (hash is None):
        raise ArgumentError("name", "say what the file is: a catalog name, or else its hash (give exactly one)")
    candidates: list[tuple[Target, str]] = []  # (where it may go, what it is)
    if name is not None:
        ref = (catalog or load_catalog()).lookup(name)
        w = ref.version.weights
        if w is None:
            raise SamzooError(f"{ref.name} has no hash in the catalog, so a file cannot be checked against it; "
                              "use a version with weights or pass the file's path to samzoo directly")
        for kind, wf in (("encoder", w.encoder), ("decoder", w.decoder)):
            if wf is not None:
                wanted = wanted_for(ref, wf, kind)
                candidates.append((Target(wanted.hash, wanted.filename), wanted.label))
    else:
        try:
            digest = Digest.parse(hash)
        except ValueError as e:
            raise ArgumentError("hash", str(e)) from None
        candidates.append((Target(digest, src.name), str(digest)))
    return _place(src, candidates, WeightCache(cache_root(cache_dir)))


def _place(src: Path, candidates: list[tuple[Target, str]], cache: WeightCache) -> Imported:
    targets = [t for t, _ in candidates]
    try:
        with cache.writer(targets) as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
    except HashMismatchError as e:
        expected = "; ".join(f"{what} expects {t.digest}" for t, what in candidates)
        raise RunTimeFailure(f"{src} hashes to {e.got}, but {expected}; it is not that file (incomplete or another "
                          "version): nothing was imported, download it again and retry") from None
    for t, what in candidates:
        if out.path is not None and out.path.parent == cache.entry_dir(t.digest):
            return Imported(out.path, str(t.digest), what)
    raise AssertionError("the store kept the file under none of the candidates")  # the writer guarantees one
