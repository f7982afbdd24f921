"""Find packages among the sources a user names and open them safely.

A source is a package zip, an unpacked package folder, an ``rdf.yaml`` (or
``*.bioimageio.yaml``) file, or a folder of such packages. Zips are unpacked
by samzoo itself into a private temporary directory, after rejecting entries
with ``..`` or absolute paths, so nothing is ever written elsewhere.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ...plumbing.errors import SamzooError
from ...plumbing.rdf_files import is_rdf_name, rdf_in_folder
from ...plumbing.package_unpack import UnsafeZipError
from ...plumbing.package_unpack import unpack_zip as _unpack_zip
from ..check_spec import Check, PackageContext
from ..result import CheckResult
from .format import read_rdf


class SourceError(SamzooError):
    """A source that is not a readable package (reported as the failed ``source`` check)."""


@dataclass(frozen=True)
class OpenedPackage:
    """A package on disk: its folder and its rdf file."""

    root: Path
    rdf: Path


#: how deep ``expand_sources`` looks for packages below a folder, and how many folders it reads at most
MAX_DEPTH = 8
MAX_FOLDERS = 10_000


def _packages_below(folder: Path) -> list[Path]:
    """Package zips and package folders in ``folder`` and its subfolders (``release/ais/...``), sorted by path.

    A package folder is not searched further; hidden folders (``.git``, staging folders) and links to
    folders are not entered. At most ``MAX_DEPTH`` levels and ``MAX_FOLDERS`` folders are read.
    """
    found: list[Path] = []
    todo, read = [(folder, 0)], 0
    while todo:
        here, depth = todo.pop()
        read += 1
        if read > MAX_FOLDERS:
            raise SamzooError(f"{folder}: more than {MAX_FOLDERS} folders below it; pass the folder that holds the packages")
        try:
            children = sorted(here.iterdir())
        except OSError:
            continue  # unreadable folder: nothing found there
        for c in children:
            if c.is_file() and c.suffix.lower() == ".zip":
                found.append(c)
            elif c.is_dir() and not c.is_symlink() and not c.name.startswith("."):
                if rdf_in_folder(c) is not None:
                    found.append(c)
                elif depth + 1 < MAX_DEPTH:
                    todo.append((c, depth + 1))
    return sorted(found)


def expand_sources(sources: list[str | Path]) -> list[str]:
    """The packages named by ``sources``; a folder without an rdf is a folder of packages, searched with its
    subfolders (see :func:`_packages_below`).

    Raises :class:`SamzooError` (a usage error) for paths that do not exist or folders without packages.
    """
    out: list[str] = []
    for s in sources:
        path = Path(s)
        if not path.exists():
            raise SamzooError(f"{s}: no such file or folder; pass a package zip, a package folder, an rdf.yaml or a folder of packages")
        if path.is_file():
            out.append(str(path))
            continue
        if not path.is_dir():
            raise SamzooError(f"{s}: not a file or folder (a device, pipe or socket); pass a package zip, folder or rdf.yaml")
        if rdf_in_folder(path) is not None:
            out.append(str(path))
            continue
        children = _packages_below(path)
        if not children:
            raise SamzooError(f"{s}: a folder without rdf.yaml and without packages (*.zip or folders with rdf.yaml) in it "
                              "or in its subfolders")
        out.extend(str(c) for c in children)
    return out


def unpack_zip(path: Path, dest: Path) -> Path:
    """Unpack a package zip into ``dest`` (:func:`samzoo.plumbing.package_unpack.unpack_zip`); return its rdf file."""
    try:
        return _unpack_zip(path, dest)
    except UnsafeZipError as e:
        raise SourceError(str(e)) from None


def open_package(source: str | Path, workdir: Path) -> OpenedPackage:
    """The package folder and rdf of ``source``; zips are unpacked into ``workdir`` (private, temporary)."""
    path = Path(source)
    if path.is_dir():
        rdf = rdf_in_folder(path)
        if rdf is None:
            raise SourceError(f"{path}: the folder has no rdf.yaml; is it a package folder?")
        return OpenedPackage(path, rdf)
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    if is_rdf_name(path.name):
        return OpenedPackage(path.parent, path)
    if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        rdf = unpack_zip(path, workdir / "package")
        return OpenedPackage(rdf.parent, rdf)
    raise SourceError(
        f"{path.name}: not a package (neither a zip nor an rdf.yaml); pass a package zip, folder or rdf.yaml"
    )


def run(ctx: PackageContext) -> CheckResult:
    """Open the package (a zip is unpacked into the validation's own folder) and read its rdf, once."""
    workdir = Path(ctx.workdir or ".")
    try:
        ctx.package = open_package(ctx.source, workdir)
    except SourceError as e:
        return CheckResult("source", "failed", str(e))
    ctx.rdf, ctx.rdf_error = read_rdf(ctx.package.rdf)
    where = "a zip" if workdir in ctx.package.root.parents else ctx.package.root
    return CheckResult("source", "passed", f"{ctx.package.rdf.name} in {where}")


CHECK = Check("source", "any model", "nothing", run)
