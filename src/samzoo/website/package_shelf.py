"""A folder of built packages (``samzoo build --all -o DIR``): each zip's rdf, weight formats and cover, read as untrusted.

Every zip is read within the caps of :mod:`samzoo.plumbing.untrusted` (its rdf at most 4 MiB, its cover at most
:data:`MAX_COVER_BYTES` and only when its first bytes are a PNG, JPEG or GIF); ``collection.json``, when present,
adds each package's sha256 and build status. A zip that cannot be read is left out with a one-line note.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ..plumbing.collection_index import INDEX_NAME, read_collection
from ..plumbing.errors import ArgumentError, SamzooError, one_line
from ..plumbing.hashing import file_digest
from ..plumbing.rdf_files import rdf_in_names
from ..plumbing.untrusted import parse_yaml, read_member_bounded

MAX_PACKAGES = 1000
MAX_COVER_BYTES = 8 * 1024 * 1024
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF87a", ".gif"), (b"GIF89a", ".gif"))
_SLUG = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class ShelfPackage:
    """What the site uses of one package zip."""

    file: str
    path: Path
    model_type: str
    rdf_id: str | None
    version: str | None
    name: str
    description: str
    mode: str
    encoder: str | None
    domain: str | None
    formats: tuple[tuple[str, str | None], ...]
    sha256: str | None
    size: int
    build_status: str | None
    cover: bytes | None
    cover_suffix: str | None
    cite: tuple[tuple[str, str | None, str | None], ...]
    authors: tuple[str, ...]
    license: str | None


def slug(text: str) -> str:
    """A file-name-safe page name: lower case letters, digits, ``_`` and ``-``."""
    return _SLUG.sub("-", text.lower()).strip("-")[:80] or "model"


def _text(value: Any, limit: int = 2000) -> str | None:
    return " ".join(value.split())[:limit] if isinstance(value, str) and value.strip() else None


def _cover(zf: zipfile.ZipFile, rdf: dict, name: str) -> tuple[bytes | None, str | None]:
    """The first cover named in the rdf, when it is a member, small enough and an image by its first bytes."""
    covers = rdf.get("covers")
    first = covers[0] if isinstance(covers, list) and covers and isinstance(covers[0], str) else None
    if first is None or ".." in PurePosixPath(first).parts or first not in zf.namelist():
        return None, None
    data = read_member_bounded(zf, first, name, limit=MAX_COVER_BYTES, what="cover")
    suffix = next((s for magic, s in _IMAGE_MAGIC if data.startswith(magic)), None)
    return (data, suffix) if suffix else (None, None)


def _formats(rdf: dict) -> tuple[tuple[str, str | None], ...]:
    weights = rdf.get("weights") if isinstance(rdf.get("weights"), dict) else {}
    out = []
    for fmt in sorted(k for k in weights if isinstance(k, str)):
        entry = weights[fmt] if isinstance(weights[fmt], dict) else {}
        sha = entry.get("sha256")
        out.append((fmt[:60], sha if isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha) else None))
    return tuple(out)


def _cite(rdf: dict) -> tuple[tuple[str, str | None, str | None], ...]:
    items = rdf.get("cite") if isinstance(rdf.get("cite"), list) else []
    return tuple((_text(c.get("text"), 500), _text(c.get("doi"), 200), _text(c.get("url"), 500))
                 for c in items[:50] if isinstance(c, dict) and _text(c.get("text")))


def _authors(rdf: dict) -> tuple[str, ...]:
    items = rdf.get("authors") if isinstance(rdf.get("authors"), list) else []
    return tuple(n for n in (_text(a.get("name"), 200) for a in items[:50] if isinstance(a, dict)) if n)


def read_package(path: Path, entry: dict[str, Any] | None) -> ShelfPackage:
    """One package zip; a one-line :class:`SamzooError` when it is not a readable package."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            member = rdf_in_names(zf.namelist())
            if member is None:
                raise SamzooError(f"{name}: no rdf.yaml or bioimageio.yaml in the zip")
            rdf = parse_yaml(read_member_bounded(zf, member, name, what="rdf").decode("utf-8-sig"), name, "rdf")
            if not isinstance(rdf, dict):
                raise SamzooError(f"{name}: its rdf is not a mapping")
            cover, suffix = _cover(zf, rdf, name)
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, RuntimeError, yaml.YAMLError) as e:
        raise SamzooError(f"{name}: not a readable package zip ({one_line(e)})") from None
    config = rdf.get("config") if isinstance(rdf.get("config"), dict) else {}
    ours = config.get("samzoo") if isinstance(config.get("samzoo"), dict) else {}
    entry = entry or {}
    model_type = _text(ours.get("model_type"), 80) or _text(entry.get("model_type"), 80) or _text(rdf.get("id"), 80) or path.stem
    return ShelfPackage(
        file=name, path=path, model_type=slug(model_type).replace("-", "_"),
        rdf_id=_text(rdf.get("id"), 80), version=_text(str(rdf["version"]) if isinstance(rdf.get("version"), (str, int, float)) else None, 40),
        name=_text(rdf.get("name"), 200) or path.stem, description=_text(rdf.get("description")) or "",
        mode=_text(ours.get("mode"), 20) or _text(entry.get("mode"), 20) or "interactive",
        encoder=_text(ours.get("encoder"), 20), domain=_text(ours.get("domain"), 40), formats=_formats(rdf),
        sha256=entry.get("sha256") if isinstance(entry.get("sha256"), str) else file_digest(path), size=path.stat().st_size,
        build_status=_text(entry.get("status"), 20), cover=cover, cover_suffix=suffix, cite=_cite(rdf),
        authors=_authors(rdf), license=_text(rdf.get("license"), 60),
    )


def read_shelf(folder: str | Path) -> tuple[list[ShelfPackage], list[str]]:
    """The packages of ``folder`` (sorted by file name) and a note per zip left out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ArgumentError("packages", f"{folder}: no such folder; give the folder `samzoo build --all -o DIR` wrote")
    index = {}
    if (folder / INDEX_NAME).is_file():
        index = {str(e["package"]): e for e in read_collection(folder / INDEX_NAME) if e.get("package")}
    zips = sorted(p for p in folder.glob("*.zip") if p.is_file())
    notes = [f"{folder}: {len(zips)} zips, only the first {MAX_PACKAGES} are shown"] if len(zips) > MAX_PACKAGES else []
    packages = []
    for path in zips[:MAX_PACKAGES]:
        try:
            packages.append(read_package(path, index.get(path.name)))
        except SamzooError as e:
            notes.append(f"left out {e}")
    return packages, notes
