"""Where a package goes and how it lands there: the output path (created folders, default names) and the sealed zip.

All files are staged in a temporary folder next to the output (:mod:`.staging`), zipped into a temporary
file and renamed onto the output path at the end, so a failed or interrupted build leaves nothing at the
output path; a file there holding other bytes is replaced only when asked.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..plumbing.errors import ArgumentError, OutputError
from ..plumbing.hashing import file_digest
from .context import BuildContext
from .package_kind import PackageKind
from .zipwrite import write_zip


def default_output(model_type: str, nickname: str | None, version: str, kind: PackageKind) -> Path:
    """``<nickname or model_type>-<version><kind's suffix>.zip``: ``...-<version>.zip`` for an interactive package,
    ``...-<version>-ais.zip`` for an automatic one."""
    return Path(f"{nickname or model_type}-{version}{kind.suffix}.zip")


def seal(b: BuildContext, staging: Path, tmp_zip: Path, out_path: Path) -> str:
    """Zip the staged files and rename the zip onto the output path; returns its sha256."""
    try:
        write_zip(tmp_zip, [(p.name, p) for p in staging.iterdir()])
    except OSError as e:
        raise OutputError(f"{tmp_zip.parent}: cannot write the package there ({e.strerror or type(e).__name__}); check free disk space") from None
    digest = file_digest(tmp_zip)
    _check_replace(b, out_path, digest)
    try:
        os.replace(tmp_zip, out_path)
    except OSError as e:
        raise OutputError(f"{out_path}: cannot write the package there ({e.strerror or type(e).__name__}); choose another output") from None
    b.timer.lap("zip")
    b.weights_size = (staging / b.weights_file).stat().st_size
    return digest


def _check_replace(b: BuildContext, out_path: Path, digest: str) -> None:
    """Refuse to replace a file at ``out_path`` holding other bytes than the new package, unless ``b.overwrite``."""
    if b.overwrite or not out_path.is_file():
        return
    try:
        existing = file_digest(out_path)
    except OSError:
        existing = "unreadable"
    if existing == digest:
        return
    raise ArgumentError("output", f"{out_path} already holds another package (sha256 {existing[:12]}, this build "
                                  f"{digest[:12]}); it is not replaced unless forced; choose another output or remove it")


def is_folder_output(output: str | Path) -> bool:
    """``output`` names a folder: an existing one, one written with a trailing ``/``, or a path without ``.zip``."""
    text = str(output)
    return Path(output).is_dir() or text.endswith(("/", os.sep)) or Path(text).suffix.lower() != ".zip"


def output_near(output: str | Path | None) -> Path:
    """The folder the package will be in (it may not exist yet), known before the version is."""
    if output is None:
        return Path().absolute()
    return (Path(output) if is_folder_output(output) else Path(output).parent).absolute()


def output_path(b: BuildContext, kind: PackageKind, output: str | Path | None) -> Path:
    """The package path: ``output`` itself, or the default name inside the folder ``output`` or here.

    Missing folders on the way are created (``-o new_folder/pkg.zip``, ``-o release/``).
    """
    out_path = default_output(b.spec.model_type, b.spec.nickname, b.decision.version, kind)
    if output is not None:
        out_path = Path(output) / out_path if is_folder_output(output) else Path(output)
    out_path = out_path.absolute()
    if out_path.is_dir():
        raise ArgumentError("output", f"{out_path} is a folder; name the package file, or a folder without one of that name")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out_path.parent}: cannot create the folder ({e.strerror or type(e).__name__}); choose another output") from None
    return out_path
