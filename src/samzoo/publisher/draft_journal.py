"""Which draft a package went into, so the same command continues it (``<cache>/publish/<key>.json``).

One small JSON file per (server, package): the artifact id, what kind of draft it is and its state
(``uploading`` until the draft is marked for review, then ``request-review``). Written atomically,
right after the draft is created (a Ctrl-C after ``create`` still resumes); a file that is not what
samzoo writes is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..plumbing.atomic import write_text_atomic
from ..plumbing.cache_root import cache_root
from ..plumbing.untrusted import read_bytes_bounded

_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class DraftRecord:
    """A draft this machine started: on ``server``, for the package with ``package_key``."""

    server: str
    package_key: str
    artifact_id: str
    state: str


def _path(server: str, package_key: str) -> Path:
    name = hashlib.sha256(f"{server}\n{package_key}".encode()).hexdigest()[:32]
    return cache_root() / "publish" / f"{name}.json"


def recall(server: str, package_key: str) -> DraftRecord | None:
    """The draft recorded for this package on this server, if a valid record exists."""
    path = _path(server, package_key)
    if not path.is_file():
        return None
    try:
        data = json.loads(read_bytes_bounded(path, _MAX_BYTES, "draft record"))
        record = DraftRecord(**{k: str(data[k]) for k in ("server", "package_key", "artifact_id", "state")})
    except (ValueError, TypeError, KeyError, OSError, AttributeError):
        return None
    ok = record.server == server and record.package_key == package_key and record.artifact_id.count("/") == 1
    return record if ok else None


def remember(record: DraftRecord) -> None:
    """Record (or update) a draft, atomically."""
    path = _path(record.server, record.package_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(asdict(record), indent=1))


def forget(server: str, package_key: str) -> None:
    """Drop the record (its draft is gone from the server)."""
    _path(server, package_key).unlink(missing_ok=True)
