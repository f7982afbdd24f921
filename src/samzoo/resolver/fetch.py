"""Get one catalogued weight file into the verified cache: cache, micro-sam's cache, then URL and mirrors.

Order for a file with a known hash:

1. ``weights/<alg>-<hex>/`` with a matching stamp: returned without reading it;
2. under the file's lock (so N processes download once): the same check again,
   then an unstamped file in that directory (re-hashed once);
3. micro-sam's cached file (``<MICROSAM_CACHEDIR>/models/<model_type>[_decoder]``)
   if it hashes to the expected value (hashed once, then trusted by a stamp);
4. offline: only ``file://`` sources are tried; with none, stop with one line naming
   the file and the import command;
5. the catalog URL, then each mirror ``<base>/<alg>-<hex>/<filename>``: downloaded into
   a per-process temporary file next to the target, hashed while it arrives and
   renamed into place only when the hash matches.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..errors import SamzooError
from ..hashing import parse_hash
from . import settings
from .cache import WeightCache, hash_key, temp_name
from .download import HashingWriter, SourceError, download


class OfflineError(SamzooError):
    """A file is needed that is not cached, and the network may not be used."""


class DownloadError(SamzooError):
    """No source delivered a file with the expected hash."""


@dataclass(frozen=True)
class Wanted:
    """A file to fetch: its hash, where it is published and how to name it to the user."""

    hash: str
    url: str
    filename: str
    label: str                 # e.g. "vit_b_lm@v4 encoder"
    import_hint: str           # arguments of `samzoo cache import FILE ...`: '--as NAME' or '--hash ALG:HEX'
    microsam_name: str | None  # micro-sam's registry name, e.g. "vit_b_lm" / "vit_b_lm_decoder"


@dataclass(frozen=True)
class Fetched:
    path: Path
    origin: str  # "cache" | "microsam-cache" | "download"


def default_filename(url: str, fallback: str) -> str:
    """The URL's last path component when it looks like a file name (has a suffix), else ``fallback``."""
    name = posixpath.basename(urllib.parse.urlparse(url).path)
    return name if "." in name.strip(".") else fallback


def sources(w: Wanted) -> list[str]:
    """The catalog URL, then every mirror's ``<base>/<alg>-<hex>/<filename>``."""
    key = hash_key(w.hash)
    return [w.url, *(f"{base}/{key}/{urllib.parse.quote(w.filename)}" for base in settings.mirrors())]


def fetch(w: Wanted, cache: WeightCache, *, offline: bool, progress: bool | None = None) -> Fetched:
    """Return a verified local copy of ``w`` (see the module docstring for the order)."""
    found = cache.lookup(w.hash)
    if found is not None:
        return Fetched(found, "cache")
    with cache.lock(w.hash):
        found = cache.lookup(w.hash) or cache.adopt(w.hash)
        if found is not None:
            return Fetched(found, "cache")
        mpath = _microsam_file(w)
        if mpath is not None and cache.external_verified(mpath, w.hash):
            return Fetched(mpath, "microsam-cache")
        urls = sources(w)
        if offline:  # file:// sources (a local catalog entry, a mirror on a shared drive) need no network
            urls = [u for u in urls if u.startswith("file://")]
            if not urls:
                raise OfflineError(
                    f"{w.label} ({w.filename}, {w.hash}) is not in the cache and samzoo is offline "
                    f"(SAMZOO_OFFLINE or --offline); download {w.url} on a connected machine, copy it here "
                    f"and run `samzoo cache import FILE {w.import_hint}`"
                )
        return Fetched(_download_verified(w, cache, progress, urls), "download")


def _microsam_file(w: Wanted) -> Path | None:
    if not w.microsam_name:
        return None
    path = settings.microsam_cache_dir() / "models" / w.microsam_name
    return path if path.is_file() else None


def _download_verified(w: Wanted, cache: WeightCache, progress: bool | None, urls: list[str]) -> Path:
    alg, _ = parse_hash(w.hash)
    target = cache.target(w.hash, w.filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    mismatch: str | None = None
    for url in urls:
        tmp = temp_name(target)
        try:
            with open(tmp, "w+b") as f:
                out = HashingWriter(f, alg)
                try:
                    download(url, out, progress=progress)
                except SourceError as e:
                    failures.append(f"{url}: {e}")
                    continue
                f.flush()
                os.fsync(f.fileno())
            if out.digest == w.hash:
                return cache.commit(tmp, w.hash, w.filename)
            mismatch = f"{url} sent a file with hash {out.digest}"
            failures.append(f"{url}: hash {out.digest}")
        finally:
            tmp.unlink(missing_ok=True)
    _remove_if_empty(target.parent)
    if mismatch is not None:
        raise DownloadError(
            f"hash mismatch for {w.label}: expected {w.hash}, but {mismatch}; nothing was kept in the cache. "
            f"The server holds a different file than the catalog names: check the hash in the catalog (`samzoo info`) "
            f"or the mirror, or import a correct file with `samzoo cache import FILE {w.import_hint}`"
        )
    raise DownloadError(
        f"could not download {w.label} ({w.filename}) from any source ({'; '.join(failures)}); "
        "check the network, set SAMZOO_MIRRORS to a mirror, or copy the file here and run "
        f"`samzoo cache import FILE {w.import_hint}`"
    )


def _remove_if_empty(d: Path) -> None:
    try:
        d.rmdir()
    except OSError:
        pass
