"""Resolve any model name to verified local weight files.

Names: a catalog name (``vit_b_lm``, ``vit_b_lm@v2``, ``diplomatic-bug``,
``diplomatic-bug/1.2``), a DOI or Zenodo/BioImage.IO URL of a catalogued
version, an http(s):// or file:// URL of a checkpoint, a local checkpoint
file, or a local BioImage.IO package (zip or folder; weights through its rdf.yaml).
"""

from __future__ import annotations

import dataclasses
import os
import re
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from ..catalog import Catalog, ModelRef, WeightFile, load_catalog
from ..errors import SamzooError
from ..hashing import HashMismatchError, file_hash, parse_hash
from . import settings
from .cache import WeightCache, make_stamp, stamp_matches, temp_name, write_json_atomic, _read_json
from .download import HashingWriter, SourceError, download
from .fetch import OfflineError, Wanted, default_filename, fetch
from .package import is_package, open_member, read_package

_LOCAL_HINT = re.compile(r"(\.(pt|pth|zip|yaml|ckpt|bin)$)|(^[~./])", re.IGNORECASE)
_URL = ("http://", "https://", "file://")


@dataclass(frozen=True)
class Resolved:
    """Where a model's weights are on this machine."""

    name: str                   # canonical name: "vit_b_lm@v4", or the path / URL given
    model_type: str             # catalog model type; the encoder for a bare checkpoint; the package id
    version: str | None         # catalog version label (v1..v4), None outside the catalog
    encoder: str | None         # vit_t | vit_b | vit_l | vit_h (None when not inferred)
    encoder_path: Path
    decoder_path: Path | None
    source: str | None          # the record (DOI / zoo page), URL or path the weights come from
    origin: str                 # cache | download | microsam-cache | local | package | url
    verified: bool              # the files matched a known hash

    def to_dict(self) -> dict:
        d = asdict(self)
        d["encoder_path"] = str(self.encoder_path)
        d["decoder_path"] = str(self.decoder_path) if self.decoder_path else None
        return d


def resolve(name: str | os.PathLike, *, offline: bool | None = None, cache_dir: str | os.PathLike | None = None,
            decoder: bool = True, hash: str | None = None, progress: bool | None = None,
            catalog: Catalog | None = None) -> Resolved:
    """Find (fetching if needed) the weights of ``name`` and return their local paths.

    ``offline``: never use the network (default: ``SAMZOO_OFFLINE``). ``cache_dir``: cache root
    (default: ``SAMZOO_CACHE_DIR`` or the user cache dir). ``decoder``: also fetch the
    instance-segmentation decoder when the model has one. ``hash``: the expected ``alg:hex`` of a
    URL or local file given as ``name`` (then it is verified). ``progress``: progress bar
    (default: when stderr is a terminal).
    """
    return _resolve(name, offline=offline, cache_dir=cache_dir, decoder=decoder, hash=hash,
                    progress=progress, catalog=catalog, infer_encoder=True)


def _resolve(name, *, offline, cache_dir, decoder, hash, progress, catalog, infer_encoder) -> Resolved:
    text = os.fspath(name).strip() if isinstance(name, os.PathLike) else str(name).strip()
    cache = WeightCache(settings.cache_root(cache_dir))
    off = settings.is_offline(offline)
    if hash is not None:
        hash = _check_hash(hash)
    index, sep, key = text.rpartition("#")
    if sep and index.endswith(".json") and not index.startswith(_URL):
        return _from_collection(Path(index).expanduser(), key, cache, off, decoder, progress, infer_encoder)
    if not text.startswith(_URL):
        path = Path(text).expanduser()
        if path.exists():
            if is_package(path):
                return _from_package(path, cache, off, decoder, progress, infer_encoder)
            return _from_local_file(path, hash, cache, infer_encoder)
        if isinstance(name, os.PathLike) or _LOCAL_HINT.search(text):
            raise SamzooError(f"{text}: no such file or folder; check the path (or give a catalog name such as vit_b_lm)")
    cat = catalog or load_catalog()
    if text.startswith(_URL):
        ref = _catalog_ref_for_url(cat, text)
        if ref is None:
            return _from_url(text, hash, cache, off, progress, infer_encoder)
        return _from_catalog(ref, cache, off, decoder, progress)
    return _from_catalog(cat.lookup(text), cache, off, decoder, progress)


def _check_hash(value: str) -> str:
    try:
        alg, digest = parse_hash(value)
    except ValueError as e:
        raise SamzooError(str(e)) from None
    return f"{alg}:{digest}"


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


def wanted_for(ref: ModelRef, wf: WeightFile, kind: str) -> Wanted:
    """The :class:`Wanted` file of a catalog version's encoder or decoder weights."""
    mt = ref.model_type
    micro = mt if kind == "encoder" else f"{mt}_decoder"
    filename = wf.filename or default_filename(wf.url, f"{micro}.pt")
    return Wanted(wf.hash, wf.url, filename, f"{ref.name} {kind}", f"--as {ref.name}", micro)


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


# --- local checkpoints -------------------------------------------------------------
def _infer(path: Path) -> str:
    from ..checkpoint import load_checkpoint

    return load_checkpoint(path).encoder


def _verify_external(cache: WeightCache, path: Path, digest: str) -> None:
    if not cache.external_verified(path, digest):
        raise HashMismatchError(path, digest, file_hash(path, parse_hash(digest)[0]))


def _from_local_file(path: Path, hash: str | None, cache: WeightCache, infer: bool) -> Resolved:
    if not path.is_file():
        raise SamzooError(f"{path}: a folder without rdf.yaml; pass a checkpoint file or a BioImage.IO package")
    if hash is not None:
        _verify_external(cache, path, hash)
    encoder = _infer(path) if infer else None
    return Resolved(str(path), encoder or path.stem, None, encoder, path.resolve(), None, str(path), "local", hash is not None)


# --- URLs without a catalog entry ---------------------------------------------------
def _from_url(url: str, hash: str | None, cache: WeightCache, offline: bool, progress, infer: bool) -> Resolved:
    filename = default_filename(url, "weights.pt")
    if hash is not None:
        got = fetch(Wanted(hash, url, filename, url, f"--hash {hash}", None), cache, offline=offline, progress=progress)
        path, origin, verified = got.path, got.origin, True
    else:
        path, origin = _fetch_unverified(url, filename, cache, offline, progress)
        verified = False
    encoder = _infer(path) if infer else None
    return Resolved(url, encoder or PurePosixPath(filename).stem, None, encoder, path, None, url, origin, verified)


def _fetch_unverified(url: str, filename: str, cache: WeightCache, offline: bool, progress) -> tuple[Path, str]:
    """A URL with no known hash: kept apart in ``unverified/``, never where verified files live."""
    d = cache.unverified_dir(url)
    stamp_file, target = d / ".stamp.json", d / filename
    stamp = _read_json(stamp_file)
    if stamp and stamp_matches(stamp, target, stamp.get("hash", "")):
        return target, "cache"
    if offline and not url.startswith("file://"):
        raise OfflineError(f"{url} is not in the cache and samzoo is offline (SAMZOO_OFFLINE or --offline); "
                           "copy the file here and pass its path instead")
    d.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(d / ".lock")):
        stamp = _read_json(stamp_file)
        if stamp and stamp_matches(stamp, target, stamp.get("hash", "")):
            return target, "cache"
        tmp = temp_name(target)
        try:
            with open(tmp, "w+b") as f:
                out = HashingWriter(f, "sha256")
                try:
                    download(url, out, progress=progress)
                except SourceError as e:
                    raise SamzooError(f"could not download {url} ({e}); check the URL and the network") from None
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        write_json_atomic(stamp_file, make_stamp(target, out.digest, url=url))
    return target, "url"


# --- packages -----------------------------------------------------------------------
def _from_collection(index: Path, key: str, cache: WeightCache, offline: bool, decoder: bool, progress, infer: bool) -> Resolved:
    """A package listed in a ``collection.json`` (``samzoo build --all``), checked against its sha256."""
    from ..collection import find_entry, read_collection

    entry = find_entry(read_collection(index), key, str(index))
    package = index.parent / entry["package"]
    if not package.is_file():
        raise SamzooError(f"{index}: package {entry['package']} of {key} is missing; rebuild with `samzoo build --all`")
    _verify_external(cache, package, f"sha256:{entry['sha256']}")
    res = _from_package(package, cache, offline, decoder, progress, infer)
    name = f"{entry.get('id')}/{entry.get('version')}"
    return dataclasses.replace(res, name=name, model_type=entry["model_type"], version=entry.get("version"), source=str(index))


def _from_package(path: Path, cache: WeightCache, offline: bool, decoder: bool, progress, infer: bool) -> Resolved:
    pw = read_package(path)
    enc = _package_file(path, pw.encoder, cache, offline, progress, f"{pw.name} encoder")
    dec = _package_file(path, pw.decoder, cache, offline, progress, f"{pw.name} decoder") if decoder and pw.decoder else None
    verified = pw.encoder.sha256 is not None and (dec is None or pw.decoder.sha256 is not None)
    encoder = _infer(enc) if infer else None
    return Resolved(pw.name, pw.name, None, encoder, enc, dec, str(path), "package", verified)


def _package_file(path: Path, pf, cache: WeightCache, offline: bool, progress, label: str) -> Path:
    filename = PurePosixPath(pf.source).name
    if pf.source.startswith(_URL):
        if pf.sha256 is None:
            return _fetch_unverified(pf.source, filename, cache, offline, progress)[0]
        return fetch(Wanted(pf.sha256, pf.source, filename, label, f"--hash {pf.sha256}", None), cache,
                     offline=offline, progress=progress).path
    if path.is_dir():
        f = path / pf.source
        if not f.is_file():
            raise SamzooError(f"{path}: rdf.yaml names {pf.source!r} but the folder does not contain it; the package is incomplete")
        if pf.sha256:
            _verify_external(cache, f, pf.sha256)
        return f.resolve()
    return _extract_verified(path, pf.source, pf.sha256, filename, cache)


def _extract_verified(zip_path: Path, source: str, digest: str | None, filename: str, cache: WeightCache) -> Path:
    """Unpack one zip member into ``weights/`` (hashed while unpacking; kept only if it matches)."""
    if digest is not None:
        found = cache.lookup(digest)
        if found is not None:
            return found
    staging = cache.root / "weights" / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(staging / filename)
    try:
        with open(tmp, "w+b") as f, open_member(zip_path, source) as member:
            out = HashingWriter(f, "sha256")
            while chunk := member.read(1 << 20):
                out.write(chunk)
        got = out.digest
        if digest is not None and got != digest:
            raise HashMismatchError(zip_path / source, digest, got)
        with cache.lock(got):
            found = cache.lookup(got)
            if found is not None:
                return found
            cache.entry_dir(got).mkdir(parents=True, exist_ok=True)
            final_tmp = temp_name(cache.target(got, filename))
            os.replace(tmp, final_tmp)
            return cache.commit(final_tmp, got, filename)
    finally:
        tmp.unlink(missing_ok=True)
