"""A model of the zoo by its id (``affable-otter``, ``affable-otter/v1``, a staged draft): its rdf.yaml and
every file the rdf names, fetched into the verified cache and laid out as a package folder.

How the zoo (hypha's artifact manager) addresses files (measured against hypha 0.21.137 on 127.0.0.1;
the URLs come from :func:`samzoo.plumbing.zoo_address.file_url`)::

    GET {server}/bioimage-io/artifacts/{alias}/files/{path}               the latest committed version
    GET {server}/bioimage-io/artifacts/{alias}/files/{path}?version=v0    a committed version: hypha names
                                                                          them v0, v1, ... in commit order
    GET {server}/bioimage-io/artifacts/{alias}/files/{path}?stage=true    the staged draft (under review)

Each answers with a redirect to the storage (S3); an unknown id or path is 404, but an unknown
version of a known id is HTTP 500 (hypha 0.21.137). ``?version=latest`` is the latest committed
version too. The version list is the model's record, ``GET {server}/bioimage-io/artifacts/{alias}``
(JSON, ``versions: [{"version": "v0", ...}, ...]``; also the artifact manager's ``read``): read only
to explain a failed fetch, since a version is fetched by its name.

Files go through the resolver's one download path (:func:`~samzoo.resolver.transfer.download`, bounded
in time and size) into the one hash-checked store (:class:`~samzoo.resolver.store.WeightCache`): a
file with a ``sha256`` in the rdf is kept only when it matches; the pytorch_state_dict weights
under ``weights/`` (checked to load safely), the rest under ``files/``. The package folder
``<cache>/zoo/<server>/<alias>/<version|latest|stage>/`` is then assembled from the store (hard
links where possible) and replaced in one rename. A committed version (``id/v0``) is immutable:
once complete it is used without the network. The latest version and the draft are read again
each time (the folder is kept as it is when the rdf.yaml is byte-identical: the files it names
carry their sha256); offline, the last complete copy is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..plumbing.atomic import temp_name
from ..plumbing.errors import ArgumentError, RunTimeFailure, SamzooError, UnknownModelError
from ..plumbing.hashing import Digest, HashMismatchError
from ..plumbing.untrusted import InputLimitError, decode_text, parse_yaml, read_bytes_bounded
from ..plumbing.zoo_address import artifact_url, file_url, server_url
from .fetch import OfflineError
from .store import Target, WeightCache
from .transfer import Progress, TransferError, download

#: an id of the zoo: ``adjective-animal`` (optionally ``bioimage-io/``-qualified), then ``/version``
_ZOO_ID = re.compile(r"^(?:bioimage-io/)?(?P<alias>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?:/(?P<version>[A-Za-z0-9][A-Za-z0-9._-]{0,63}))?$")
#: keys whose string values (or lists of them) are files of the package; ``source`` of any mapping is one too
_FILE_KEYS = frozenset({"documentation", "covers", "test_inputs", "test_outputs", "sample_inputs", "sample_outputs",
                        "files", "dependencies"})
MAX_RDF_BYTES = 4 << 20
MAX_FILE_BYTES = 16 << 30
MAX_FILES = 1000
MARKER = ".samzoo-zoo.json"
#: the package's files live in ``<version folder>/package/``, the marker beside them (never inside the package)
PACKAGE = "package"


class ZooModelNotFound(UnknownModelError):
    """An id that is neither in the catalog nor on the zoo (exit 2, as any unknown name)."""

    def __init__(self, name: str, where: str, suggestions: list[str] | None = None) -> None:
        self.name, self.where, self.suggestions = name, where, list(suggestions or [])
        hint = f"did you mean: {', '.join(self.suggestions)}? or " if self.suggestions else ""
        SamzooError.__init__(self, f"unknown model {name!r}: not in the catalog and not on the zoo at {where} (HTTP 404); "
                                   f"{hint}check the id (and its version: v0, v1, ...; --stage for a draft under review)")


@dataclass(frozen=True)
class ZooId:
    """A model of the zoo: its alias, a committed version (None: the latest) or its staged draft."""

    alias: str
    version: str | None = None
    stage: bool = False

    @property
    def label(self) -> str:
        """``alias/v1``, ``alias (staged)`` or ``alias``."""
        return f"{self.alias} (staged)" if self.stage else f"{self.alias}/{self.version}" if self.version else self.alias


@dataclass(frozen=True)
class PackageFile:
    """One file the rdf names: its path in the package, its sha256 (when given) and whether it is the weights."""

    path: str
    sha256: Digest | None
    weights: bool


def parse_zoo_id(text: str, stage: bool = False) -> ZooId | None:
    """The :class:`ZooId` that ``text`` spells, or None when it is not an id of the zoo's form."""
    m = _ZOO_ID.match(text.strip())
    if m is None or (stage and m["version"]):
        return None
    return ZooId(m["alias"], m["version"], stage)


def fetch_zoo_package(name: str, *, stage: bool = False, offline: bool | None = None, server: str | None = None,
                      cache_dir: str | os.PathLike | None = None, progress: Progress | None = None) -> Path:
    """The package folder of the zoo model ``name`` (``affable-otter``, ``affable-otter/v1``; ``stage``: its draft)."""
    from ..plumbing.cache_root import cache_root
    from ..plumbing.offline import is_offline

    zid = parse_zoo_id(name, stage)
    if zid is None:
        raise ArgumentError("name", f"{name!r} is not a zoo id (adjective-animal, adjective-animal/v1"
                                    f"{'; no version with stage' if stage else ''})")
    return zoo_package(zid, WeightCache(cache_root(cache_dir)), offline=is_offline(offline), server=server, progress=progress)


def zoo_package(zid: ZooId, cache: WeightCache, *, offline: bool, server: str | None = None,
                progress: Progress | None = None) -> Path:
    """The package folder of ``zid`` in the cache, fetched (or refreshed) from the zoo as needed."""
    base = server_url(server)
    key = hashlib.sha1(base.encode()).hexdigest()[:12]
    folder = cache.root / "zoo" / key / zid.alias / ("stage" if zid.stage else zid.version or "latest")
    immutable = zid.version is not None and not zid.stage
    if _complete(folder) and (immutable or offline):
        return folder / PACKAGE
    if offline:
        raise OfflineError(f"{zid.label} is not in the catalog, its zoo package is not cached, and samzoo is offline "
                           "(SAMZOO_OFFLINE or the offline option); fetch it once on a connected machine")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with cache.lock(folder.parent):
        if immutable and _complete(folder):
            return folder / PACKAGE  # another process fetched it while this one waited for the lock
        rdf = _get(cache, base, zid, PackageFile("rdf.yaml", None, False), progress, MAX_RDF_BYTES)
        if _complete(folder) and _same_bytes(folder / PACKAGE / "rdf.yaml", rdf):
            return folder / PACKAGE  # the latest version or the draft has not changed: the folder stays as it is
        files = referenced_files(_parse_rdf(rdf, zid))
        stored = {f.path: _get(cache, base, zid, f, progress, MAX_FILE_BYTES) for f in files}
        _assemble(folder, rdf, stored, {"id": zid.alias, "version": zid.version, "stage": zid.stage, "server": base})
    return folder / PACKAGE


def _get(cache: WeightCache, base: str, zid: ZooId, f: PackageFile, progress: Progress | None, limit: int) -> Path:
    """One file of the package in the store (already there when its hash is known and cached)."""
    if f.sha256 is not None:
        found = cache.lookup(f.sha256, f.weights)
        if found is not None:
            return found
    url = file_url(base, zid.alias, f.path, version=zid.version, stage=zid.stage)
    try:
        with cache.writer(Target(f.sha256, PurePosixPath(f.path).name, f.weights)) as out:
            download(url, out, progress=progress, max_bytes=limit)
    except TransferError as e:
        if str(e).startswith("HTTP ") and f.path == "rdf.yaml":
            _explain_missing(base, zid)
        raise RunTimeFailure(f"could not download {f.path} of {zid.label} from {url} ({e}); check the network "
                             f"or {'the zoo server' if str(e).startswith('HTTP') else 'SAMZOO_ZOO_SERVER'}") from None
    except HashMismatchError as e:
        raise RunTimeFailure(f"{f.path} of {zid.label}: the zoo sent a file with hash {e.got}, but its rdf.yaml "
                             f"says {f.sha256}; nothing was kept") from None
    return out.path


class _Memory:
    """A bounded in-memory sink for :func:`download` (a small JSON record)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def reset(self) -> None:
        self.data.clear()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass


def versions(zoo_id: str, server: str | None = None) -> list[str] | None:
    """The committed versions of a model on the zoo (``["v0", "v1"]``), or None when the zoo does not know the id."""
    out = _Memory()
    try:
        download(artifact_url(server_url(server), zoo_id), out, max_bytes=MAX_RDF_BYTES, retries=0)
        record = json.loads(_gunzip(bytes(out.data)))
    except TransferError as e:
        if str(e) == "HTTP 404":
            return None
        raise RunTimeFailure(f"could not read {zoo_id} on the zoo at {server_url(server)} ({e}); check the network") from None
    except ValueError:
        raise RunTimeFailure(f"the zoo at {server_url(server)} answered for {zoo_id} with no JSON record") from None
    listed = record.get("versions") if isinstance(record, dict) else None
    return [str(v.get("version")) for v in listed if isinstance(v, dict)] if isinstance(listed, list) else []


def _gunzip(data: bytes) -> bytes:
    """The body as sent (the transfer keeps raw bytes): hypha gzips its JSON answers; bounded when inflated."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(data, MAX_RDF_BYTES)
    if d.unconsumed_tail:
        raise ValueError("too large")
    return out


def _explain_missing(base: str, zid: ZooId) -> None:
    """After the rdf.yaml of ``zid`` could not be fetched: say whether the id, the version or the draft is missing."""
    known = versions(zid.alias, base)
    if known is None:
        raise ZooModelNotFound(zid.label, base)
    if zid.stage:
        raise SamzooError(f"{zid.alias} has no staged draft on the zoo at {base}; its versions: {', '.join(known) or 'none'}")
    if zid.version is not None and zid.version not in known and zid.version != "latest":
        raise SamzooError(f"{zid.alias} has no version {zid.version!r} on the zoo at {base}; "
                          f"its versions: {', '.join(known) or 'none (only a draft: add --stage)'}")


def _parse_rdf(path: Path, zid: ZooId) -> dict:
    name = f"rdf.yaml of {zid.label}"
    try:
        data = parse_yaml(decode_text(read_bytes_bounded(path, MAX_RDF_BYTES, "rdf.yaml"), name), name, "rdf.yaml")
    except InputLimitError:
        raise
    except Exception as e:  # yaml errors: the server's file is not YAML
        raise RunTimeFailure(f"{name} is not valid YAML ({type(e).__name__}); the zoo holds a broken package") from None
    if not isinstance(data, dict):
        raise RunTimeFailure(f"{name} is not a mapping; the zoo holds a broken package")
    return data


def referenced_files(rdf: dict) -> list[PackageFile]:
    """The package files an rdf names: every mapping's ``source`` (with its ``sha256``) and the strings under
    :data:`_FILE_KEYS`; URLs are not files of the package. Paths are checked (relative, inside the package)."""
    found: dict[str, PackageFile] = {}
    weights_src = ((rdf.get("weights") or {}).get("pytorch_state_dict") or {}).get("source") \
        if isinstance(rdf.get("weights"), dict) and isinstance(rdf["weights"].get("pytorch_state_dict"), dict) else None

    def add(path: object, sha: object) -> None:
        if not isinstance(path, str) or "://" in path:
            return
        path = path.removeprefix("conda:")
        _check_path(path)
        digest = _digest(path, sha)
        found[path] = PackageFile(path, digest or (found[path].sha256 if path in found else None), path == weights_src)

    def walk(node: object, key: str | None) -> None:
        if isinstance(node, dict):
            if "source" in node:
                add(node["source"], node.get("sha256"))
            for k, v in node.items():
                if k != "source":
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in _FILE_KEYS:
            add(node, None)

    walk(rdf, None)
    found.pop("rdf.yaml", None)
    if len(found) > MAX_FILES:
        raise RunTimeFailure(f"the rdf.yaml names {len(found)} files (at most {MAX_FILES}); refusing it")
    return sorted(found.values(), key=lambda f: f.path)


def _check_path(path: str) -> None:
    p = PurePosixPath(path)
    if (not path or len(path) > 255 or "\\" in path or "\x00" in path or p.is_absolute()
            or any(part in ("", "..") for part in p.parts) or p.name.startswith(".") or ":" in path):
        raise RunTimeFailure(f"the rdf.yaml names the file {path[:80]!r}, which is not a path inside the package; refusing it")


def _digest(path: str, sha: object) -> Digest | None:
    if sha is None:
        return None
    try:
        return Digest.parse(f"sha256:{sha}")
    except ValueError:
        raise RunTimeFailure(f"the rdf.yaml gives {path} a sha256 that is not 64 hex digits; refusing it") from None


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _complete(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text())
        return all((folder / PACKAGE / p).is_file() for p in ["rdf.yaml", *marker["files"]])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _assemble(folder: Path, rdf: Path, stored: dict[str, Path], meta: dict) -> None:
    """Lay the stored files out as ``folder`` (built beside it, then swapped in by renames)."""
    tmp = temp_name(folder)
    try:
        for rel, src in {"rdf.yaml": rdf, **stored}.items():
            dst = tmp / PACKAGE / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        (tmp / MARKER).write_text(json.dumps({**meta, "files": sorted(stored)}, indent=1))
        old = temp_name(folder.with_name(folder.name + ".old")) if folder.exists() else None
        if old is not None:
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
