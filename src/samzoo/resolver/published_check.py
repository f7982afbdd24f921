"""Are the catalog's published weight files still what it records? Presence, size and (deep) hash, per URL.

For every catalog version with weights (encoder and decoder ``url`` + ``hash``), one ``HEAD`` (a ranged
``GET bytes=0-0`` when the server refuses HEAD), or with ``deep`` one streamed ``GET`` hashed as it arrives
(nothing is written; bounded as the resolver's downloads: read time-out and minimum rate), redirects followed
by hand. Classes:

``ok``           there, same size (when one is known) and, with ``deep``, same hash
``changed``      another size, or (``deep``) another hash
``missing``      HTTP 404 or 410
``moved``        a permanent redirect (301 or 308) to another URL, the file there; temporary redirects (302,
                 303, 307: a record pointing at its storage, as Zenodo and the zoo do) are not a move
``unreachable``  no connection, a time-out, another HTTP error, a redirect loop
``not-checked``  offline

The expected size is the catalog's ``size`` when recorded, else the size of the verified copy in the
cache (same hash), else unknown (presence only, said in the detail). Checks run on ``jobs`` threads,
each request bounded by ``timeout`` seconds. Where ``micro_sam`` is importable, its model registry
(``micro_sam.util.models()``: a pooch with ``registry`` name -> hash and ``urls`` name -> URL) is compared
with the catalog's current versions of the same model types.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..catalog import Catalog, ModelRef, WeightFile
from ..plumbing.cache_root import cache_root
from ..plumbing.hashing import Digest, file_hash, hasher
from ..plumbing.offline import is_offline
from .store import WeightCache
from .transfer import CHUNK, file_url_path, limits

STATUSES = ("ok", "changed", "missing", "moved", "unreachable", "not-checked")
DRIFT = frozenset({"changed", "missing", "moved", "unreachable"})
_PERMANENT = {301, 308}
_REDIRECTS = {301, 302, 303, 307, 308}
MAX_HOPS = 8


@dataclass(frozen=True)
class FileCheck:
    """What one published file looked like: its catalog entry, the class and why."""

    model: str                  # catalog name, e.g. "vit_b_lm@v4"
    kind: str                   # "encoder" | "decoder"
    url: str
    hash: str
    expected_size: int | None
    status: str                 # one of STATUSES
    detail: str
    size: int | None = None     # the size the server reports (or sent, with deep)
    location: str | None = None  # where a permanent redirect points


@dataclass(frozen=True)
class RegistryNote:
    """A disagreement between the catalog and micro-sam's registry about one name."""

    name: str
    field: str                  # "url" | "hash" | "absent"
    catalog: str | None
    micro_sam: str | None


@dataclass(frozen=True)
class PublishedCheck:
    """The whole check: one :class:`FileCheck` per file, micro-sam's disagreements, and notes."""

    files: tuple[FileCheck, ...]
    registry: tuple[RegistryNote, ...] = ()
    notes: tuple[str, ...] = field(default=())
    deep: bool = False
    offline: bool = False

    @property
    def drifted(self) -> bool:
        """Whether any file changed, went missing, moved or could not be reached, or micro-sam disagrees."""
        return any(f.status in DRIFT for f in self.files) or bool(self.registry)

    def counts(self) -> dict[str, int]:
        return {s: n for s in STATUSES if (n := sum(f.status == s for f in self.files))}

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"deep": self.deep, "offline": self.offline, "drifted": self.drifted, "counts": self.counts(),
                "files": [asdict(f) for f in self.files], "micro_sam": [asdict(r) for r in self.registry],
                "notes": list(self.notes)}


@dataclass(frozen=True)
class _Entry:
    model: str
    kind: str
    wf: WeightFile
    expected_size: int | None


def check_published(models: Iterable[str] | None = None, *, catalog: Catalog | None = None, deep: bool = False,
                    offline: bool | None = None, jobs: int = 8, timeout: float = 10.0,
                    micro_sam: bool = True) -> PublishedCheck:
    """Check every catalog version with recorded weights (or the ``models`` named) against its URLs.

    Args:
        models: catalog names (``vit_b_lm``: every version with weights; ``vit_b_lm@v2``: that one); default all.
        catalog: the catalog (default: :func:`samzoo.load_catalog`).
        deep: also stream each file and compare its hash.
        offline: check nothing, report every file "not checked (offline)" (default: ``SAMZOO_OFFLINE``).
        jobs: files checked at a time (threads). timeout: seconds each request may wait.
        micro_sam: also compare with micro-sam's registry where ``micro_sam`` is importable.
    """
    from ..catalog import load_catalog

    cat = catalog or load_catalog()
    entries = _entries(cat, models)
    off = is_offline(offline)
    notes: list[str] = []
    if off:
        files = tuple(FileCheck(e.model, e.kind, e.wf.url, e.wf.hash, e.expected_size, "not-checked",
                                "not checked (offline)") for e in entries)
        return PublishedCheck(files, (), ("offline: nothing was checked",), deep, True)
    session = _Sessions()
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(entries) or 1))) as pool:
        files = tuple(pool.map(lambda e: _check_one(e, deep, timeout, session), entries))
    registry: tuple[RegistryNote, ...] = ()
    if micro_sam:
        registry, note = compare_with_micro_sam(cat, models)
        notes.append(note)
    return PublishedCheck(files, registry, tuple(notes), deep, False)


def _entries(cat: Catalog, models: Iterable[str] | None) -> list[_Entry]:
    refs: list[ModelRef] = []
    if models is None:
        refs = [ModelRef(s, v) for s in cat.all() for v in s.versions if v.weights]
    else:
        for name in models:
            ref = cat.lookup(name)
            explicit = "@" in name or "/" in name
            refs += [ref] if explicit else [ModelRef(ref.spec, v) for v in ref.spec.versions if v.weights]
    cache = WeightCache(cache_root())
    out = []
    for ref in {r.name: r for r in refs}.values():
        w = ref.version.weights
        if w is None:
            continue
        for kind, wf in (("encoder", w.encoder), ("decoder", w.decoder)):
            if wf is not None:
                out.append(_Entry(ref.name, kind, wf, wf.size if wf.size is not None else _cached_size(cache, wf.hash)))
    return out


def _cached_size(cache: WeightCache, hash: str) -> int | None:
    try:
        path = cache.lookup(Digest.parse(hash))
        return path.stat().st_size if path else None
    except (ValueError, OSError):
        return None


class _Sessions(threading.local):
    """One requests session per thread (connections reused; sessions are not shared between threads)."""

    def get(self):
        if not hasattr(self, "session"):
            import requests

            self.session = requests.Session()
        return self.session


def _check_one(e: _Entry, deep: bool, timeout: float, sessions: _Sessions) -> FileCheck:
    def result(status: str, detail: str, size: int | None = None, location: str | None = None) -> FileCheck:
        return FileCheck(e.model, e.kind, e.wf.url, e.wf.hash, e.expected_size, status, detail, size, location)

    if e.wf.url.startswith("file://"):
        return _check_local(e, deep, result)
    try:
        code, size, final, moved, body = _probe(e.wf.url, timeout, sessions.get(), deep)
    except _Unreachable as u:
        return result("unreachable", str(u))
    if code in (404, 410):
        return result("missing", f"HTTP {code}" + (f" at {final}" if final != e.wf.url else ""))
    if code >= 400:
        return result("unreachable", f"HTTP {code}")
    location = final if moved else None
    if e.expected_size is not None and size is not None and size != e.expected_size:
        if body is not None:
            body.close()
        return result("changed", f"size {size} bytes, the catalog records {e.expected_size}", size, location)
    if body is not None:
        try:
            got, size = _hash_body(body, Digest.parse(e.wf.hash).alg, timeout)
        except _Unreachable as u:
            return result("unreachable", str(u), size, location)
        if got != e.wf.hash:
            return result("changed", f"hash {got}, the catalog records {e.wf.hash}", size, location)
    if moved:
        return result("moved", f"permanently redirected to {final}", size, location)
    known = "" if e.expected_size is not None or deep else " (no size recorded: presence only)"
    return result("ok", ("same hash" if deep else "present") + known, size)


class _Unreachable(Exception):
    pass


def _probe(url: str, timeout: float, session, deep: bool):
    """(final status, size, final URL, moved permanently, the open body with ``deep``) after following
    redirects by hand: a HEAD (a one-byte ranged GET where HEAD is refused), or with ``deep`` a streamed GET."""
    import requests

    moved = False
    for _ in range(MAX_HOPS):
        try:
            if deep:
                r = session.get(url, allow_redirects=False, timeout=(timeout, timeout), stream=True)
            else:
                r = session.head(url, allow_redirects=False, timeout=(timeout, timeout))
                if r.status_code in (405, 501):  # no HEAD: ask for one byte
                    r = session.get(url, allow_redirects=False, timeout=(timeout, timeout), stream=True,
                                    headers={"Range": "bytes=0-0"})
                    r.close()
        except requests.Timeout:
            raise _Unreachable("timed out") from None
        except requests.RequestException as e:
            raise _Unreachable("cannot connect" if isinstance(e, requests.ConnectionError) else type(e).__name__) from None
        if r.status_code in _REDIRECTS and r.headers.get("Location"):
            r.close()
            moved = moved or r.status_code in _PERMANENT
            url = urllib.parse.urljoin(url, r.headers["Location"])
            continue
        open_body = r if deep and r.status_code == 200 else None
        if open_body is None:
            r.close()
        return r.status_code, _size(r), url, moved, open_body
    raise _Unreachable(f"more than {MAX_HOPS} redirects (a loop?)")


def _size(r) -> int | None:
    cr = r.headers.get("Content-Range", "")
    if r.status_code == 206 and "/" in cr and cr.rsplit("/", 1)[1].isdigit():
        return int(cr.rsplit("/", 1)[1])
    cl = r.headers.get("Content-Length", "")
    return int(cl) if cl.isdigit() and r.status_code == 200 else None


def _hash_body(r, alg: str, timeout: float) -> tuple[str, int]:
    """Hash a streamed body as it arrives (nothing is written); bounded as the resolver's downloads are: after
    ``timeout`` seconds the average rate must stay above ``SAMZOO_MIN_RATE``."""
    import requests

    _, min_rate = limits()
    h, size, start = hasher(alg), 0, time.monotonic()
    try:
        with r:
            for chunk in r.iter_content(CHUNK):
                h.update(chunk)
                size += len(chunk)
                elapsed = time.monotonic() - start
                if elapsed > timeout and size < min_rate * elapsed:
                    raise _Unreachable(f"too slow ({size / elapsed / 1000:.1f} kB/s after {elapsed:.0f} s)")
    except requests.RequestException as e:
        raise _Unreachable("timed out" if isinstance(e, requests.Timeout) else "connection dropped during the transfer") from None
    total = _size(r)
    if total is not None and size < total:
        raise _Unreachable(f"connection dropped during the transfer (got {size} of {total} bytes)")
    return f"{alg}:{h.hexdigest()}", size


def _check_local(e: _Entry, deep: bool, result) -> FileCheck:
    path = file_url_path(e.wf.url)
    if not path.is_file():
        return result("missing", f"{path}: no such file")
    size = path.stat().st_size
    if e.expected_size is not None and size != e.expected_size:
        return result("changed", f"size {size} bytes, the catalog records {e.expected_size}", size)
    if deep:
        got = file_hash(path, Digest.parse(e.wf.hash).alg)
        if got != e.wf.hash:
            return result("changed", f"hash {got}, the catalog records {e.wf.hash}", size)
    return result("ok", "same hash" if deep else "present", size)


# --- micro-sam's own registry -------------------------------------------------------------------
def compare_with_micro_sam(cat: Catalog, models: Iterable[str] | None = None) -> tuple[tuple[RegistryNote, ...], str]:
    """The catalog's current versions against ``micro_sam.util.models()``: (disagreements, a one-line note)."""
    try:
        from micro_sam import util  # type: ignore[import-not-found]

        pooch = util.models()
        hashes, urls = dict(pooch.registry), dict(getattr(pooch, "urls", {}) or {})
    except ImportError:
        return (), "micro-sam is not installed: its model registry was not compared"
    except Exception as e:  # a micro-sam whose registry samzoo cannot read: say so, compare nothing
        return (), f"micro-sam's model registry could not be read ({type(e).__name__}); not compared"
    wanted = {cat.lookup(m).model_type for m in models} if models is not None else None
    notes: list[RegistryNote] = []
    compared = 0
    for spec in cat.all():
        if (wanted is not None and spec.model_type not in wanted) or spec.current.weights is None:
            continue
        w = spec.current.weights
        for name, wf in ((spec.model_type, w.encoder), (f"{spec.model_type}_decoder", w.decoder)):
            if wf is None or name not in hashes:
                continue
            compared += 1
            if _norm_hash(hashes[name]) != wf.hash:
                notes.append(RegistryNote(name, "hash", wf.hash, str(hashes[name])))
            if name in urls and urls[name] != wf.url:
                notes.append(RegistryNote(name, "url", wf.url, str(urls[name])))
    version = getattr(__import__("micro_sam"), "__version__", "?")
    return tuple(notes), f"micro-sam {version}: {compared} registry entries compared, {len(notes)} disagreement(s)"


def _norm_hash(value: object) -> str:
    """pooch writes ``alg:hex``, or a bare hex for sha256."""
    text = str(value).strip().lower()
    return text if ":" in text else f"sha256:{text}"
