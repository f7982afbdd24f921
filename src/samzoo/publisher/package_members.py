"""The files of a package to publish: a zip's members or a folder's files, streamed, never held in memory.

A package is untrusted: member names must be plain relative paths, sizes and counts are capped
(:mod:`samzoo.plumbing.untrusted`), and the description is parsed within the YAML caps. Its key
(sha256 of each file's name, size and CRC-32 for a zip) names the package cheaply for resuming.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ..plumbing.errors import ArgumentError, RunTimeFailure
from ..plumbing.rdf_files import rdf_in_folder, rdf_in_names
from ..plumbing.untrusted import (MAX_TEXT_BYTES, MAX_ZIP_MEMBERS, InputLimitError, check_zip_sizes, decode_text,
                                  parse_yaml, read_bytes_bounded, read_member_bounded)

_CHUNK = 1024 * 1024


class BadPackageError(RunTimeFailure):
    """The package cannot be published as it is (exit 1); the message names the file and the fix."""


@dataclass(frozen=True)
class Member:
    """One file of the package: its path inside the package and its size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class PackageFiles:
    """A package opened for publishing: where it is, its description, its files and its key."""

    source: Path
    rdf_name: str
    rdf: dict[str, Any]
    members: tuple[Member, ...]
    key: str

    @property
    def total_bytes(self) -> int:
        return sum(m.size for m in self.members)

    @contextmanager
    def open(self, member: Member) -> Iterator[BinaryIO]:
        """The member's bytes as a binary stream (a zip member is decompressed as it is read)."""
        if self.source.is_dir():
            with (self.source / member.path).open("rb") as f:
                yield f
            return
        with zipfile.ZipFile(self.source) as zf, zf.open(member.path) as f:
            yield f

    def sha256(self, member: Member) -> str:
        """The member's sha256, streamed."""
        h = hashlib.sha256()
        with self.open(member) as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        return h.hexdigest()


def _safe(name: str, where: Path) -> str:
    p = PurePosixPath(name)
    if not name or name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in p.parts):
        raise BadPackageError(f"{where}: file name {name!r} is not a plain relative path; rebuild the package")
    return name


def open_package(package: str | Path) -> PackageFiles:
    """A zip or folder package, checked for what a zoo upload needs; :class:`BadPackageError` otherwise."""
    path = Path(package)
    if path.is_dir():
        return _from_folder(path)
    if not path.is_file():
        raise ArgumentError("package", f"{path}: no such file or folder; give a package zip or folder")
    if not zipfile.is_zipfile(path):
        raise BadPackageError(f"{path}: not a zip file; give a package built by `samzoo build` (or any bioimage.io package zip)")
    return _from_zip(path)


def _from_zip(path: Path) -> PackageFiles:
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_sizes(zf, path.stat().st_size, str(path))
            infos = [i for i in zf.infolist() if not i.is_dir()]
            members = tuple(Member(_safe(i.filename, path), i.file_size) for i in infos)
            rdf_name = rdf_in_names(m.path for m in members)
            if rdf_name is None:
                raise BadPackageError(f"{path}: no rdf.yaml or bioimageio.yaml at the top of the zip; it is not a bioimage.io package")
            text = decode_text(read_member_bounded(zf, rdf_name, str(path), what="description"), f"{path}:{rdf_name}", "description")
            key = hashlib.sha256(repr(sorted((i.filename, i.file_size, i.CRC) for i in infos)).encode()).hexdigest()
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise BadPackageError(f"{path}: a broken zip ({e}); rebuild the package") from None
    if len({m.path for m in members}) != len(members):
        raise BadPackageError(f"{path}: the zip holds the same file name twice; rebuild the package")
    return PackageFiles(path, rdf_name, _rdf(text, f"{path}:{rdf_name}"), members, key)


def _from_folder(path: Path) -> PackageFiles:
    rdf = rdf_in_folder(path)
    if rdf is None:
        raise BadPackageError(f"{path}: no rdf.yaml or bioimageio.yaml in the folder; it is not a bioimage.io package")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    if len(files) > MAX_ZIP_MEMBERS:
        raise InputLimitError(f"{path}: {len(files)} files, more than the {MAX_ZIP_MEMBERS} samzoo publishes")
    members = tuple(Member(_safe(p.relative_to(path).as_posix(), path), p.stat().st_size) for p in files)
    key_src = [(m.path, m.size, p.stat().st_mtime_ns) for m, p in zip(members, files, strict=True)]
    key = hashlib.sha256(repr(key_src).encode()).hexdigest()
    text = decode_text(read_bytes_bounded(rdf, MAX_TEXT_BYTES, "description"), str(rdf), "description")
    return PackageFiles(path, rdf.name, _rdf(text, str(rdf)), members, key)


def _rdf(text: str, where: str) -> dict[str, Any]:
    data = parse_yaml(text, where, "description")
    if not isinstance(data, dict) or data.get("type") != "model" or not isinstance(data.get("name"), str):
        raise BadPackageError(f"{where}: not a model description (it needs `type: model` and a `name`); give a model package")
    zoo_id = data.get("id")
    if zoo_id is not None and (not isinstance(zoo_id, str) or not zoo_id.strip() or len(zoo_id) > 200):
        raise BadPackageError(f"{where}: `id` must be the zoo id of a published model (e.g. diplomatic-bug) or absent for a new model")
    return data
