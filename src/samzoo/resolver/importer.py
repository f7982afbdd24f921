"""``samzoo cache import``: place a hand-carried file into the verified cache after checking its hash."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog, load_catalog
from ..errors import SamzooError
from ..hashing import file_hash, parse_hash
from . import settings
from .cache import WeightCache, temp_name
from .download import HashingWriter
from .resolver import wanted_for


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
        raise SamzooError(f"{src}: no such file; give the path of the downloaded weights")
    if (name is None) == (hash is None):
        raise SamzooError("say what the file is: --as NAME (a catalog name) or --hash ALG:HEX")
    candidates: list[tuple[str, str, str]] = []  # (hash, filename, what)
    if name is not None:
        ref = (catalog or load_catalog()).lookup(name)
        w = ref.version.weights
        if w is None:
            raise SamzooError(f"{ref.name} has no hash in the catalog, so a file cannot be checked against it; "
                              "use a version with weights or pass the file's path to samzoo directly")
        for kind, wf in (("encoder", w.encoder), ("decoder", w.decoder)):
            if wf is not None:
                candidates.append((wf.hash, wanted_for(ref, wf, kind).filename, f"{ref.name} {kind}"))
    else:
        try:
            alg, digest = parse_hash(hash)
        except ValueError as e:
            raise SamzooError(str(e)) from None
        candidates.append((f"{alg}:{digest}", src.name, f"{alg}:{digest}"))
    cache = WeightCache(settings.cache_root(cache_dir))
    return _place(src, candidates, cache)


def _place(src: Path, candidates: list[tuple[str, str, str]], cache: WeightCache) -> Imported:
    staging = cache.root / "weights" / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(staging / src.name)
    try:
        first_alg = parse_hash(candidates[0][0])[0]
        with open(src, "rb") as f, open(tmp, "w+b") as out:
            writer = HashingWriter(out, first_alg)
            shutil.copyfileobj(f, writer, 1 << 20)
        digests = {first_alg: writer.digest}
        for digest, filename, what in candidates:
            alg = parse_hash(digest)[0]
            if alg not in digests:
                digests[alg] = file_hash(tmp, alg)
            if digests[alg] != digest:
                continue
            with cache.lock(digest):
                found = cache.lookup(digest)
                if found is not None:
                    return Imported(found, digest, what)
                cache.entry_dir(digest).mkdir(parents=True, exist_ok=True)
                final_tmp = temp_name(cache.target(digest, filename))
                os.replace(tmp, final_tmp)
                return Imported(cache.commit(final_tmp, digest, filename), digest, what)
    finally:
        tmp.unlink(missing_ok=True)
    expected = "; ".join(f"{what} expects {digest}" for digest, _, what in candidates)
    got = ", ".join(digests.values())
    raise SamzooError(f"{src} hashes to {got}, but {expected}; it is not that file (incomplete or another "
                      "version): nothing was imported, download it again and retry")
