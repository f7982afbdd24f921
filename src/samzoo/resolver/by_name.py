"""Resolve any model name to verified local weight files.

Names: a catalog name (``vit_b_lm``, ``vit_b_lm@v2``, ``diplomatic-bug``,
``diplomatic-bug/1.2``), a DOI or Zenodo/BioImage.IO URL of a catalogued
version, an http(s):// or file:// URL of a checkpoint, a local checkpoint
file, or a local BioImage.IO package (zip or folder; weights through its rdf.yaml).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path, PurePosixPath

from ..catalog import Catalog, ModelRef, load_catalog
from ..plumbing.errors import ArgumentError, SamzooError, UnknownModelError
from ..plumbing.hashing import Digest
from ..plumbing.cache_root import cache_root
from ..plumbing.offline import is_offline
from .fetch import Wanted, default_filename, fetch, fetch_unverified, wanted_for
from .local import URL_PREFIXES as _URL
from .local import (
    Resolved,
    from_collection,
    from_local_file,
    from_package,
    infer_encoder,
)
from .package_weights import is_package
from .store import WeightCache
from .transfer import Progress
from .zoo_package import ZooId, ZooModelNotFound, parse_zoo_id, zoo_package

_LOCAL_HINT = re.compile(r"(\.(pt|pth|zip|yaml|ckpt|bin)$)|(^[~./])", re.IGNORECASE)


def resolve(name: str | os.PathLike, *, offline: bool | None = None, cache_dir: str | os.PathLike | None = None,
            decoder: bool = True, hash: str | None = None, progress: Progress | None = None,
            catalog: Catalog | None = None, infer: bool = True, stage: bool = False) -> Resolved:
    """Find (fetching if needed) the weights of ``name`` and return their local paths.

    Args:
        name: a catalog name (``vit_b_lm``, ``vit_b_lm@v2``, ``noisy-ox/1.2``, any case), a DOI or zoo page URL,
            a weights URL, a local checkpoint, a package zip or folder, or ``collection.json#id``.
        offline: never use the network (default: ``SAMZOO_OFFLINE``).
        cache_dir: cache root (default: ``SAMZOO_CACHE_DIR`` or the user cache dir).
        decoder: also fetch the instance-segmentation decoder when the model has one.
        hash: the expected ``alg:hex`` of a URL or local file given as ``name`` (then it is verified).
        progress: the caller's progress bars, ``progress(label)`` -> a tqdm-like bar per download (default: none).
        catalog: the catalog to use (default: :func:`samzoo.load_catalog`).
        infer: read a bare checkpoint to tell its encoder (``load_sam`` reads it anyway and passes False).
        stage: ``name`` is a zoo id whose staged draft (under review) is wanted, not a committed version.

    A name the catalog does not know but of the zoo's form (``affable-otter``, ``affable-otter/v1``) is
    fetched from the zoo (``SAMZOO_ZOO_SERVER``, default the public zoo) as a package into the cache
    (:mod:`samzoo.resolver.zoo_package`).

    Returns:
        :class:`Resolved`: ``encoder_path``, ``decoder_path``, ``model_type``, ``version``, ``encoder``, ``origin``,
        ``verified``.

    Raises:
        UnknownModelError: an unknown name (with suggestions). ArgumentError: a bad argument.
        RunTimeFailure: offline without a cached copy, a failed download or hash check.

    Example::

        r = samzoo.resolve("diplomatic-bug")
        r.encoder_path, r.decoder_path
    """
    text = os.fspath(name).strip() if isinstance(name, os.PathLike) else str(name).strip()
    cache = WeightCache(cache_root(cache_dir))
    off = is_offline(offline)
    digest = _parse_hash(hash) if hash is not None else None
    index, sep, key = text.rpartition("#")
    if sep and index.endswith(".json") and not index.startswith(_URL):
        return from_collection(Path(index).expanduser(), key, cache, offline=off, decoder=decoder, progress=progress, infer=infer)
    if not text.startswith(_URL):
        path = Path(text).expanduser()
        if path.exists():
            if is_package(path):
                return from_package(path, cache, off, decoder, progress, infer)
            return from_local_file(path, digest, cache, infer)
        if isinstance(name, os.PathLike) or _LOCAL_HINT.search(text):
            raise SamzooError(f"{text}: no such file or folder; check the path (or give a catalog name such as vit_b_lm)")
    if stage:
        zid = parse_zoo_id(text, stage=True)
        if zid is None:
            raise ArgumentError("stage", f"applies to a zoo id without a version (such as affable-otter), not {text!r}")
        return _from_zoo(zid, cache, off, decoder, progress, infer)
    cat = catalog or load_catalog()
    if text.startswith(_URL):
        _check_url(text)
        ref = _catalog_ref_for_url(cat, text)
        if ref is None:
            return _from_url(text, digest, cache, off, progress, infer)
        return _from_catalog(ref, cache, off, decoder, progress)
    try:
        ref = cat.lookup(text)
    except UnknownModelError as unknown:
        zid = parse_zoo_id(text)
        if zid is None:
            raise
        try:
            return _from_zoo(zid, cache, off, decoder, progress, infer)
        except ZooModelNotFound as e:  # a typo of a catalog name keeps the catalog's suggestions
            raise ZooModelNotFound(e.name, e.where, unknown.suggestions) from None
        except SamzooError as e:
            if not unknown.suggestions:
                raise
            raise type(e)(f"{e} (or did you mean the catalog's {', '.join(unknown.suggestions)}?)") from None
    return _from_catalog(ref, cache, off, decoder, progress)


def _from_zoo(zid: ZooId, cache: WeightCache, offline: bool, decoder: bool, progress, infer: bool) -> Resolved:
    """Any model of the zoo: its package fetched into the cache, then its weights through its rdf.yaml."""
    import dataclasses

    folder = zoo_package(zid, cache, offline=offline, progress=progress)
    res = from_package(folder, cache, offline, decoder, progress, infer)
    origin = "zoo-stage" if zid.stage else "zoo"
    return dataclasses.replace(res, name=zid.label, model_type=zid.alias, version="stage" if zid.stage else zid.version, source=str(folder),
                               origin=origin)


def _check_url(url: str) -> None:
    """A URL that urllib can take apart (``http://[::1`` cannot): else a one-line argument error."""
    try:
        urllib.parse.urlsplit(url).port  # noqa: B018  (raises for a malformed host or port)
    except ValueError as e:
        raise ArgumentError("name", f"{url!r} is not a valid URL ({e})") from None


def _parse_hash(value: str) -> Digest:
    try:
        return Digest.parse(value)
    except ValueError as e:
        raise ArgumentError("hash", str(e)) from None


# --- catalog names ---------------------------------------------------------------
def _catalog_ref_for_url(cat: Catalog, url: str) -> ModelRef | None:
    """A URL that names a catalogued version: its weights URL, a DOI / Zenodo record, a zoo page."""
    for spec in cat.all():
        for v in spec.versions:
            if v.weights and url in (v.weights.encoder.url, v.weights.decoder.url if v.weights.decoder else None):
                return ModelRef(spec, v)
    low = url.lower()
    if "zenodo" in low or "doi.org" in low:
        return cat.lookup(url)
    if "bioimage.io" in low and "id=" in low:
        zoo_id = urllib.parse.parse_qs(url.split("?", 1)[-1]).get("id", [""])[0]
        return cat.lookup(zoo_id)
    return None


def _from_catalog(ref: ModelRef, cache: WeightCache, offline: bool, decoder: bool, progress) -> Resolved:
    w = ref.version.weights
    if w is None:
        raise SamzooError(
            f"{ref.name} has no weights URL and hash in the catalog (source: {ref.version.source}); "
            f"use a version with weights (`samzoo info {ref.model_type}`), or download it from its source "
            "and pass the file's path"
        )
    enc = fetch(wanted_for(ref, w.encoder, "encoder"), cache, offline=offline, progress=progress)
    dec = fetch(wanted_for(ref, w.decoder, "decoder"), cache, offline=offline, progress=progress) if decoder and w.decoder else None
    return Resolved(ref.name, ref.model_type, ref.version.version, ref.spec.encoder, enc.path,
                    dec.path if dec else None, ref.version.source or w.encoder.url, enc.origin, True)


# --- URLs without a catalog entry ---------------------------------------------------
def _from_url(url: str, digest: Digest | None, cache: WeightCache, offline: bool, progress, infer: bool) -> Resolved:
    filename = default_filename(url, "weights.pt")
    if digest is not None:
        got = fetch(Wanted(digest, url, filename, url, f"--hash {digest}", None), cache, offline=offline, progress=progress)
        path, origin, verified = got.path, got.origin, True
    else:
        path, origin = fetch_unverified(url, filename, cache, offline, progress)
        verified = False
    encoder = infer_encoder(path) if infer else None
    return Resolved(url, encoder or PurePosixPath(filename).stem, None, encoder, path, None, url, origin, verified)
