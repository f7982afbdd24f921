"""A read-only file object over the bytes of one stored (uncompressed) zip member, read straight from the zip file.

``torch.load`` and sha256 read a package's weights through it without inflating, CRC-checking or copying
the member into memory first. Only members stored without compression qualify (:func:`stored_member`).
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"


class ZipWindow(io.RawIOBase):
    """Bytes ``[start, start + size)`` of ``path`` as a seekable, readable file."""

    def __init__(self, path: Path, start: int, size: int) -> None:
        super().__init__()
        self._f = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._start, self._size, self._pos = start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self._size - self._pos))
        if n == 0:
            return 0
        self._f.seek(self._start + self._pos)
        got = self._f.readinto(memoryview(buffer)[:n])
        self._pos += got or 0
        return got or 0

    def read(self, size: int = -1) -> bytes:
        n = self._size - self._pos if size is None or size < 0 else min(size, self._size - self._pos)
        if n <= 0:
            return b""
        self._f.seek(self._start + self._pos)
        data = self._f.read(n)
        self._pos += len(data)
        return data

    def close(self) -> None:
        self._f.close()
        super().close()


def stored_member(path: Path, info: zipfile.ZipInfo) -> ZipWindow | None:
    """A window over ``info``'s bytes when it is stored uncompressed and unencrypted, else None (read it with zipfile)."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
    if start + info.file_size > path.stat().st_size:
        return None
    return ZipWindow(path, start, info.file_size)
