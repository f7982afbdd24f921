"""Reading files samzoo does not control (packages, specs, caches, indexes, zips) within fixed limits.

Every such file is untrusted: its size, its encoding, its YAML aliases, its zip
headers. These helpers read them with caps checked *before* memory or disk is
spent, and fail with one-line :class:`InputLimitError` messages:

* :data:`MAX_TEXT_BYTES` for a description/spec/index file (read at most that
  many bytes; FIFOs, devices and folders are refused, so nothing can block);
* :data:`MAX_YAML_NODES` for a YAML document *after* alias expansion (a
  "billion laughs" file of a few hundred bytes expands to 10^9 nodes);
  recursive aliases are refused;
* zips: at most :data:`MAX_ZIP_MEMBERS` members, each member's inflated size
  checked against its declared size while it is written, and the declared
  total capped at ``max(MAX_ZIP_FLOOR, MAX_ZIP_RATIO x the zip's size)`` and
  :data:`MAX_ZIP_TOTAL` (a 2.6 MB zip that inflates to 2.5 GB is refused before
  one byte is unpacked).
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from .errors import SamzooError

MAX_TEXT_BYTES = 4 * 1024 * 1024
MAX_YAML_NODES = 100_000
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_FLOOR = 256 * 1024 * 1024
MAX_ZIP_RATIO = 50
MAX_ZIP_TOTAL = 32 * 1024**3
_CHUNK = 1024 * 1024

#: libyaml's safe loader when available (same result, ~20x faster: the catalog is read at every resolve)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InputLimitError(SamzooError):
    """An untrusted file is too large, not text, not UTF-8, or expands beyond a cap."""

    exit_code = 1


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def read_bytes_bounded(path: str | Path, limit: int = MAX_TEXT_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never blocks on a FIFO, never reads more)."""
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise InputLimitError(f"{path}: the {what} is {kind}; pass a regular file")
        if st.st_size > limit:
            raise InputLimitError(f"{path}: the {what} is {_mib(st.st_size)}, more than the {_mib(limit)} samzoo reads; is it the right file?")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputLimitError(f"{path}: cannot read the {what} ({e.strerror or type(e).__name__})") from None
    if len(data) > limit:  # grew while we looked, or a special file that reports size 0
        raise InputLimitError(f"{path}: the {what} is more than the {_mib(limit)} samzoo reads; is it the right file?")
    return data


def decode_text(data: bytes, name: str, what: str = "file") -> str:
    """``data`` as UTF-8 (a BOM is allowed); a one-line error naming the first bad byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputLimitError(f"{name}: the {what} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); save it as UTF-8") from None


def read_text_bounded(path: str | Path, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """A UTF-8 text file of at most ``limit`` bytes."""
    return decode_text(read_bytes_bounded(path, limit, what), str(path), what)


def _expanded_nodes(root: yaml.Node, cap: int) -> int:
    """Nodes of the document with every alias expanded; raises ValueError past ``cap`` or on a cycle."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            raise ValueError("a recursive alias (a node that contains itself)")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        if total > cap:
            raise ValueError(f"more than {cap} values once its aliases are expanded")
        memo[key] = total
        return total

    return size(root)


def parse_yaml(text: str, name: str, what: str = "YAML file") -> Any:
    """Safe-load YAML text whose alias-expanded size is at most :data:`MAX_YAML_NODES`.

    yaml errors propagate as :class:`yaml.YAMLError` (callers say where); limits raise :class:`InputLimitError`.
    """
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            _expanded_nodes(node, MAX_YAML_NODES)
        except (ValueError, RecursionError) as e:
            msg = str(e) if isinstance(e, ValueError) else "nested too deeply"
            raise InputLimitError(f"{name}: the {what} has {msg}; refusing to load it (YAML alias bomb?)") from None
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_json_bounded(path: str | Path, limit: int = MAX_TEXT_BYTES, what: str = "JSON file") -> Any:
    """A JSON file of at most ``limit`` bytes; ``ValueError`` (as json raises it) for invalid JSON."""
    text = read_text_bounded(path, limit, what)
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


# --- zips --------------------------------------------------------------------------------------


def zip_total_cap(zip_size: int) -> int:
    """The most bytes a zip of ``zip_size`` bytes may inflate to."""
    return min(MAX_ZIP_TOTAL, max(MAX_ZIP_FLOOR, MAX_ZIP_RATIO * zip_size))


def check_zip_sizes(zf: zipfile.ZipFile, zip_size: int, name: str) -> None:
    """Refuse a zip whose member count or declared inflated size is beyond the caps (reads only the directory)."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputLimitError(f"{name}: the zip has {len(infos)} members, more than the {MAX_ZIP_MEMBERS} samzoo unpacks")
    total = sum(i.file_size for i in infos)
    cap = zip_total_cap(zip_size)
    if total > cap:
        raise InputLimitError(
            f"{name}: the zip's members inflate to {_mib(total)} from {_mib(zip_size)}, more than the {_mib(cap)} "
            f"samzoo unpacks (at most {MAX_ZIP_RATIO}x the zip's size, at least {_mib(MAX_ZIP_FLOOR)}); refusing a zip bomb"
        )


def copy_member_bounded(src: BinaryIO, dst: BinaryIO, info: zipfile.ZipInfo, name: str) -> int:
    """Copy one member, never more bytes than its declared size (a lying header is refused)."""
    written = 0
    while True:
        chunk = src.read(_CHUNK)
        if not chunk:
            break
        written += len(chunk)
        if written > info.file_size:
            raise InputLimitError(
                f"{name}: zip member {info.filename!r} inflates past its declared size of {info.file_size} bytes; the zip is forged"
            )
        dst.write(chunk)
    return written


def read_member_bounded(zf: zipfile.ZipFile, member: str, name: str, limit: int = MAX_TEXT_BYTES, what: str = "member") -> bytes:
    """A zip member of at most ``limit`` bytes (declared and actual), in memory."""
    info = zf.getinfo(member)
    if info.file_size > limit:
        raise InputLimitError(f"{name}: its {what} {member!r} is {_mib(info.file_size)}, more than the {_mib(limit)} samzoo reads")
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputLimitError(f"{name}: its {what} {member!r} inflates past {_mib(limit)}; the zip is forged")
    return data
