"""Weights that are already on this machine: checkpoint files, package folders and zips, built collections.

A file with a known hash outside the cache is hashed once and then trusted by a stamp; a
weight file inside a zip package is unpacked into the store (hashed while it is written).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from ..plumbing.errors import SamzooError
from ..plumbing.hashing import Digest, HashMismatchError, file_hash
from .fetch import Wanted, fetch, fetch_unverified
from .package_weights import PackageFile, open_member, read_package
from .store import Target, WeightCache

URL_PREFIXES = ("http://", "https://", "file://")


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


# --- local checkpoints -------------------------------------------------------------
def infer_encoder(path: Path) -> str:
    """The encoder of a checkpoint file (reads it)."""
    from ..plumbing.sam_checkpoint import load_checkpoint

    return load_checkpoint(path).encoder


def _verify_external(cache: WeightCache, path: Path, digest: Digest) -> None:
    if not cache.external_verified(path, digest):
        raise HashMismatchError(path, str(digest), file_hash(path, digest.alg))


def from_local_file(path: Path, hash: Digest | None, cache: WeightCache, infer: bool) -> Resolved:
    """A checkpoint file given by its path (checked against ``hash`` when given)."""
    if not path.is_file():
        raise SamzooError(f"{path}: a folder without rdf.yaml; pass a checkpoint file or a BioImage.IO package")
    if hash is not None:
        _verify_external(cache, path, hash)
    encoder = infer_encoder(path) if infer else None
    return Resolved(str(path), encoder or path.stem, None, encoder, path.resolve(), None, str(path), "local", hash is not None)


# --- packages -----------------------------------------------------------------------
def from_collection(index: Path, key: str, cache: WeightCache, *, offline: bool, decoder: bool, progress, infer: bool) -> Resolved:
    """A package listed in a ``collection.json`` (``samzoo build --all``), checked against its sha256."""
    from ..plumbing.collection_index import find_entry, read_collection

    entry = find_entry(read_collection(index), key, str(index))
    package = index.parent / entry["package"]
    if not package.is_file():
        raise SamzooError(f"{index}: package {entry['package']} of {key} is missing; rebuild with `samzoo build --all`")
    try:
        digest = Digest.parse(f"sha256:{entry['sha256']}")
    except ValueError:
        raise SamzooError(f"{index}: the sha256 of {key} is not 64 hex digits; rebuild with `samzoo build --all`") from None
    _verify_external(cache, package, digest)
    res = from_package(package, cache, offline, decoder, progress, infer)
    name = f"{entry.get('id')}/{entry.get('version')}"
    return dataclasses.replace(res, name=name, model_type=entry["model_type"], version=entry.get("version"), source=str(index))


def from_package(path: Path, cache: WeightCache, offline: bool, decoder: bool, progress, infer: bool) -> Resolved:
    """A package folder or zip: its weights through its rdf.yaml."""
    pw = read_package(path)
    enc = _package_file(path, pw.encoder, cache, offline, progress, f"{pw.name} encoder")
    dec = _package_file(path, pw.decoder, cache, offline, progress, f"{pw.name} decoder") if decoder and pw.decoder else None
    verified = pw.encoder.sha256 is not None and (dec is None or pw.decoder.sha256 is not None)
    encoder = infer_encoder(enc) if infer else None
    return Resolved(pw.name, pw.model_type, None, encoder, enc, dec, str(path), "package", verified)


def _package_file(path: Path, pf: PackageFile, cache: WeightCache, offline: bool, progress, label: str) -> Path:
    filename = PurePosixPath(pf.source).name
    if pf.source.startswith(URL_PREFIXES):
        if pf.sha256 is None:
            return fetch_unverified(pf.source, filename, cache, offline, progress)[0]
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


def _extract_verified(zip_path: Path, source: str, digest: Digest | None, filename: str, cache: WeightCache) -> Path:
    """Unpack one zip member into ``weights/`` (hashed while unpacking; kept only if it matches)."""
    if digest is not None:
        found = cache.lookup(digest)
        if found is not None:
            return found
    try:
        with cache.writer(Target(digest, filename)) as out, open_member(zip_path, source) as member:
            while chunk := member.read(1 << 20):
                out.write(chunk)
    except HashMismatchError as e:
        raise HashMismatchError(zip_path / source, e.expected, e.got) from None
    return out.path
