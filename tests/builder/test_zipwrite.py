"""Byte-reproducible zips (builder/zipwrite.py)."""

from __future__ import annotations

import hashlib
import zipfile

from samzoo.builder import zipwrite
from samzoo.plumbing.hashing import file_digest


def test_zip_is_byte_reproducible_and_stored(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "z.bin").write_bytes(bytes(range(256)) * 1000)
        (tmp_path / d / "a.txt").write_text("hello")
    zipwrite.write_zip(tmp_path / "1.zip", [(p.name, p) for p in (tmp_path / "a").iterdir()])
    zipwrite.write_zip(tmp_path / "2.zip", [(p.name, p) for p in sorted((tmp_path / "b").iterdir(), reverse=True)])
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "1.zip") as zf:
        assert zf.namelist() == ["a.txt", "z.bin"]
        assert all(i.compress_type == zipfile.ZIP_STORED and i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        assert zf.read("z.bin") == bytes(range(256)) * 1000
    assert file_digest(tmp_path / "1.zip") == hashlib.sha256((tmp_path / "1.zip").read_bytes()).hexdigest()
