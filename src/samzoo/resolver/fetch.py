"""Get one catalogued weight file into the verified cache: cache, micro-sam's cache, then URL and mirrors.

Order for a file with a known hash:

1. ``weights/<alg>-<hex>/`` with a matching stamp: returned without reading it;
2. under the file's lock (so N processes download once): the same check again,
   then an unstamped file in that directory (re-hashed once);
3. micro-sam's cached file (``<MICROSAM_CACHEDIR>/models/<model_type>[_decoder]``)
   if it hashes to the expected value (hashed once, then trusted by a stamp);
4. offline: only ``file://`` sources are tried; with none, stop with one line naming
   the file and the import command;
5. the catalog URL, then each mirror ``<base>/<alg>-<hex>/<filename>``: downloaded through
   the store's writer (hashed while it arrives, kept only when the hash matches).

A URL without a known hash (:func:`fetch_unverified`) goes to the store's ``unverified/`` part.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..catalog import ModelRef, WeightFile
from ..plumbing.errors import RunTimeFailure
from ..plumbing.hashing import Digest, HashMismatchError
from . import settings
from .store import Target, WeightCache
from .transfer import Progress, TransferError, download


class OfflineError(RunTimeFailure):
    """A file is needed that is not cached, and the network may not be used."""


class DownloadError(RunTimeFailure):
    """No source delivered a file with the expected hash."""


@dataclass(frozen=True)
class Wanted:
    """A file to fetch: its hash, where it is published and how to name it to the user."""

    hash: Digest
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


def wanted_for(ref: ModelRef, wf: WeightFile, kind: str) -> Wanted:
    """The :class:`Wanted` file of a catalog version's encoder or decoder weights."""
    mt = ref.model_type
    micro = mt if kind == "encoder" else f"{mt}_decoder"
    filename = wf.filename or default_filename(wf.url, f"{micro}.pt")
    return Wanted(Digest.parse(wf.hash), wf.url, filename, f"{ref.name} {kind}", f"--as {ref.name}", micro)


def sources(w: Wanted) -> list[str]:
    """The catalog URL, then every mirror's ``<base>/<alg>-<hex>/<filename>``."""
    return [w.url, *(f"{base}/{w.hash.key}/{urllib.parse.quote(w.filename)}" for base in settings.mirrors())]


def fetch(w: Wanted, cache: WeightCache, *, offline: bool, progress: Progress | None = None) -> Fetched:
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
                    f"(SAMZOO_OFFLINE or the offline option); download {w.url} on a connected machine, copy it here "
                    f"and run `samzoo cache import FILE {w.import_hint}`"
                )
        return Fetched(_download_verified(w, cache, progress, urls), "download")


def _microsam_file(w: Wanted) -> Path | None:
    if not w.microsam_name:
        return None
    path = settings.microsam_cache_dir() / "models" / w.microsam_name
    return path if path.is_file() else None


def _download_verified(w: Wanted, cache: WeightCache, progress: Progress | None, urls: list[str]) -> Path:
    failures: list[str] = []
    mismatch: str | None = None
    for url in urls:
        try:
            with cache.writer(Target(w.hash, w.filename)) as out:
                download(url, out, progress=progress)
            return out.path
        except TransferError as e:
            failures.append(f"{url}: {e}")
        except HashMismatchError as e:
            mismatch = f"{url} sent a file with hash {e.got}"
            failures.append(f"{url}: hash {e.got}")
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


def fetch_unverified(url: str, filename: str, cache: WeightCache, offline: bool,
                     progress: Progress | None) -> tuple[Path, str]:
    """A URL with no known hash: kept apart in ``unverified/``, never where verified files live."""
    found = cache.unverified_lookup(url, filename)
    if found is not None:
        return found, "cache"
    if offline and not url.startswith("file://"):
        raise OfflineError(f"{url} is not in the cache and samzoo is offline (SAMZOO_OFFLINE or the offline option); "
                           "copy the file here and pass its path instead")
    with cache.lock(cache.unverified_dir(url)):
        found = cache.unverified_lookup(url, filename)
        if found is not None:
            return found, "cache"
        try:
            with cache.writer(Target(None, filename), url=url) as out:
                download(url, out, progress=progress)
        except TransferError as e:
            raise RunTimeFailure(f"could not download {url} ({e}); check the URL and the network") from None
    return out.path, "url"
