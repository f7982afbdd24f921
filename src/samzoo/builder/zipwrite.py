"""Byte-reproducible zip files: fixed entry order, timestamps and permissions, no compression.

Every entry is stored (not deflated): the weights do not compress, storing is
fast, and the bytes then do not depend on the zlib build. Files are streamed
in chunks, so weights of any size need no extra memory.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from collections.abc import Iterable

_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 16 * 1024 * 1024
_ZIP64_LIMIT = 2**31 - 1


def _info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # unix, so external_attr means permissions
    info.external_attr = (0o100644 & 0xFFFF) << 16
    info.file_size = size
    return info


def write_zip(target: str | Path, files: Iterable[tuple[str, Path]]) -> None:
    """Write ``(name in archive, file on disk)`` pairs, sorted by name, into ``target``."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, path in sorted(files):
            size = os.path.getsize(path)
            with open(path, "rb") as src, zf.open(_info(name, size), "w", force_zip64=size > _ZIP64_LIMIT) as dst:
                while chunk := src.read(_CHUNK):
                    dst.write(chunk)
