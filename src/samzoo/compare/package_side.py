"""One side of a diff: a package zip or folder, opened without trusting it (names, links, sizes checked)."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import yaml

from ..plumbing.errors import RunTimeFailure, one_line
from ..plumbing.package_unpack import UnsafeZipError, is_symlink, unpack_zip
from ..plumbing.rdf_files import rdf_in_folder, rdf_in_names
from ..plumbing.sam_kind import sam_kind
from .zip_window import stored_member
from ..plumbing.untrusted import MAX_ZIP_MEMBERS, InputLimitError, check_zip_sizes, decode_text, parse_yaml, read_member_bounded

MAX_FOLDER_FILES = MAX_ZIP_MEMBERS


class CompareError(RunTimeFailure):
    """A package that cannot be compared (unreadable, forged, not a package): one line, exit 1."""


@dataclass(frozen=True)
class PackageSide:
    """A package as read for a diff: where it is, its rdf (a dict), its kind, and its files (path -> size)."""

    label: str
    path: Path
    rdf_name: str
    rdf: dict[str, Any]
    kind: str | None
    files: dict[str, int]

    @property
    def is_zip(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def open_file(self, name: str) -> Iterator[BinaryIO]:
        """One of :attr:`files`, opened for reading (a zip member is inflated as it is read)."""
        if name not in self.files:
            raise CompareError(f"{self.label}: the package has no file {name!r}")
        if not self.is_zip:
            with open(self.path / name, "rb") as f:
                yield f
            return
        with zipfile.ZipFile(self.path) as zf:
            window = stored_member(self.path, zf.getinfo(name))
            if window is not None:  # stored: read straight from the zip (the sha256 is the check, not the CRC)
                with window:
                    yield window  # type: ignore[misc]
                return
            with zf.open(name) as f:
                yield f

    def unpacked(self, dest: Path) -> Path:
        """The package as a folder (a zip is unpacked into ``dest`` by the safe unpacker); returns its rdf file."""
        if not self.is_zip:
            return self.path / self.rdf_name
        try:
            return unpack_zip(self.path, dest)
        except UnsafeZipError as e:
            raise CompareError(f"{self.label}: {e}") from None


def open_side(path: str | os.PathLike, label: str) -> PackageSide:
    """Read the package at ``path`` (zip or folder) as side ``label`` ("A" or "B"); raise :class:`CompareError`."""
    path = Path(path)
    try:
        if path.is_dir():
            files = _folder_files(path)
            rdf = rdf_in_folder(path)
            if rdf is None:
                raise CompareError(f"{label} ({path}): the folder has no rdf.yaml; pass a package zip or folder")
            rdf_name = rdf.relative_to(path).as_posix()
            text = decode_text(_read_folder_file(path / rdf_name), rdf_name, "rdf.yaml")
        elif path.is_file():
            files, rdf_name, text = _zip_contents(path, label)
        else:
            raise CompareError(f"{label} ({path}): no such file or folder")
        data = parse_yaml(text, rdf_name, "rdf")
    except (InputLimitError, UnsafeZipError) as e:
        raise CompareError(f"{label} ({path.name}): {one_line(e, 300)}") from None
    except yaml.YAMLError as e:
        raise CompareError(f"{label} ({path.name}): rdf.yaml is not valid YAML ({one_line(e, 120)})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CompareError(f"{label} ({path.name}): cannot read it ({one_line(e, 160)})") from None
    if not isinstance(data, dict):
        raise CompareError(f"{label} ({path.name}): rdf.yaml is not a mapping of fields; is it a BioImage.IO package?")
    return PackageSide(label, path, rdf_name, data, sam_kind(data), files)


def _read_folder_file(path: Path) -> bytes:
    from ..plumbing.untrusted import read_bytes_bounded

    return read_bytes_bounded(path, what="rdf.yaml")


def _zip_contents(path: Path, label: str) -> tuple[dict[str, int], str, str]:
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_sizes(zf, path.stat().st_size, path.name)
            infos = [i for i in zf.infolist() if not i.is_dir()]
            for i in infos:
                p = PurePosixPath(i.filename.replace("\\", "/"))
                if p.is_absolute() or ".." in p.parts or is_symlink(i):
                    raise CompareError(f"{label} ({path.name}): unsafe zip entry {i.filename!r} (absolute, '..' or a link); not a package to compare")
            rdf = rdf_in_names([i.filename for i in infos])
            if rdf is None:
                raise CompareError(f"{label} ({path.name}): the zip has no rdf.yaml; is it a BioImage.IO package?")
            text = decode_text(read_member_bounded(zf, rdf, path.name, what="rdf.yaml"), f"{path.name}: {rdf}", "rdf.yaml")
            return {i.filename: i.file_size for i in infos}, rdf, text
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, ValueError) as e:
        raise CompareError(f"{label} ({path.name}): not a readable zip ({one_line(e, 100) or type(e).__name__}); truncated or not a package") from None


def _folder_files(root: Path) -> dict[str, int]:
    """Regular files below ``root`` (relative POSIX path -> size); links and hidden folders are not followed."""
    out: dict[str, int] = {}
    todo = [root]
    while todo:
        here = todo.pop()
        for entry in os.scandir(here):
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode) and not entry.name.startswith("."):
                todo.append(Path(entry.path))
            elif stat.S_ISREG(st.st_mode):
                out[Path(entry.path).relative_to(root).as_posix()] = st.st_size
            if len(out) > MAX_FOLDER_FILES:
                raise CompareError(f"{root}: more than {MAX_FOLDER_FILES} files; not a package folder")
    return out
