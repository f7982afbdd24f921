"""Unpack an untrusted package zip safely: entry names checked, no links, sizes capped, nothing written outside.

Shared by the validator and ``compare`` (``samzoo diff``). Nothing is written when a name is unsafe or the
declared sizes exceed the caps of :mod:`samzoo.plumbing.untrusted`; each member is cut off at its declared size.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from .errors import SamzooError, one_line
from .rdf_files import rdf_in_names
from .untrusted import InputLimitError, check_zip_sizes, copy_member_bounded


class UnsafeZipError(SamzooError):
    """A zip that is not a readable package zip, or that would write outside its folder or beyond the caps."""

    exit_code = 1


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return not (p.is_absolute() or ".." in p.parts or (p.parts and p.parts[0].endswith(":")))


def is_symlink(info: zipfile.ZipInfo) -> bool:
    """Whether the entry's Unix mode marks it as a symbolic link (Info-ZIP ``unzip`` and libarchive create the link)."""
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _refuse_links(zf: zipfile.ZipFile, name: str) -> None:
    links = [i.filename for i in zf.infolist() if is_symlink(i)]
    if links:
        raise UnsafeZipError(
            f"{name}: zip entry {links[0]!r} is a symbolic link; refusing to unpack it — put the file itself in the package"
        )


def unpack_zip(path: Path, dest: Path) -> Path:
    """Unpack a package zip into ``dest`` (after checking every entry name, that none is a link, and the size caps);
    return its rdf file.

    Nothing is written when a name is unsafe or the declared sizes exceed the caps of
    :mod:`samzoo.plumbing.untrusted`; each member is cut off at its declared size while it is written.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            bad = [n for n in names if not _safe_member(n)]
            if bad:
                raise UnsafeZipError(
                    f"{path.name}: unsafe zip entry {bad[0]!r} (absolute path or '..'); refusing to unpack it — "
                    "rebuild the package with relative file names"
                )
            _refuse_links(zf, path.name)
            rdf = rdf_in_names(names)
            if rdf is None:
                raise UnsafeZipError(f"{path.name}: the zip has no rdf.yaml at its top level; is it a BioImage.IO package?")
            check_zip_sizes(zf, path.stat().st_size, path.name)
            _extract(zf, dest, path.name)
    except InputLimitError as e:
        raise UnsafeZipError(str(e)) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:
        first = one_line(e) or type(e).__name__
        raise UnsafeZipError(f"{path.name}: not a readable zip ({first}); the file is truncated or not a package zip") from None
    return dest / rdf


def _extract(zf: zipfile.ZipFile, dest: Path, name: str) -> None:
    """Write every member below ``dest``, each at most its declared size, after checking free space."""
    dest.mkdir(parents=True, exist_ok=True)
    need = sum(i.file_size for i in zf.infolist())
    free = shutil.disk_usage(dest).free
    if need > free:
        raise UnsafeZipError(f"{name}: unpacking needs {need // 2**20} MiB, the temporary folder has {free // 2**20} MiB free; set TMPDIR to a larger disk")
    _refuse_links(zf, name)
    root = dest.resolve()
    for info in zf.infolist():
        target = (dest / PurePosixPath(info.filename.replace("\\", "/"))).resolve()
        if root != target and root not in target.parents:
            raise UnsafeZipError(f"{name}: zip entry {info.filename!r} leads outside the package; refusing to unpack it")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as dst:
            copy_member_bounded(src, dst, info, name)
