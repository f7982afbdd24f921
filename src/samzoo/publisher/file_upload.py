"""One file into a draft: raw bytes streamed to a presigned URL, read back and compared by sha256.

A file whose read-back differs is sent once more; a second difference is an error, so a draft never
holds a file that was not verified. Nothing is held in memory beyond one chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..plumbing.hashing import BackgroundHash
from .package_members import BadPackageError, Member, PackageFiles
from .zoo_api import ZooApi, ZooError

_CHUNK = 1024 * 1024
#: ``progress(label)`` returns a tqdm-like bar (``total``, ``update(n)``, ``close()``)
Progress = Callable[[str], Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file of the draft as verified: its path, size, sha256 and whether this run sent it."""

    path: str
    size: int
    sha256: str
    sent: bool

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "sent": self.sent}


class ReadBackMismatch(ZooError):
    """The server holds other bytes than were sent, twice in a row."""


class _HashingReader:
    """A file-like body for ``requests``: reads the source in large chunks, hashes and counts what is sent."""

    def __init__(self, source: BinaryIO, member: Member, bar: Any, digest: BackgroundHash) -> None:
        self.source, self.member, self.bar, self.hash = source, member, bar, digest
        self.sent = 0

    def __len__(self) -> int:
        return self.member.size

    def read(self, n: int = -1) -> bytes:
        chunk = self.source.read(max(n, _CHUNK))
        self.sent += len(chunk)
        if self.sent > self.member.size:
            raise BadPackageError(f"{self.member.path}: longer than its declared {self.member.size} bytes; the package is forged")
        self.hash.update(chunk)
        if self.bar is not None and chunk:
            self.bar.update(len(chunk))
        return chunk


def send(api: ZooApi, artifact: str, pkg: PackageFiles, member: Member, progress: Progress | None = None, url: str | None = None) -> str:
    """Upload one member (to ``url``, else a new presigned URL); the sha256 of the bytes sent."""
    url = url or api.file_url(artifact, member.path, upload=True)
    bar = progress(member.path) if progress else None
    if bar is not None:
        bar.total = member.size
    try:
        with pkg.open(member) as f, BackgroundHash("sha256") as digest:
            body = _HashingReader(f, member, bar, digest)
            api.put_bytes(url, body, member.size)
            if body.sent != member.size:
                raise BadPackageError(f"{member.path}: {body.sent} bytes read, {member.size} declared; the package is broken")
            return digest.hexdigest()
    finally:
        if bar is not None:
            bar.close()


def remote_sha256(api: ZooApi, artifact: str, path: str, size: int, stage: bool = True) -> str:
    """The sha256 of a file on the server (streamed; more than ``size`` bytes is an error)."""
    url = api.file_url(artifact, path, upload=False, stage=stage)
    with BackgroundHash("sha256") as digest, api.stream(url, size) as chunks:
        for chunk in chunks:
            digest.update(chunk)
        return digest.hexdigest()


def read_back(api: ZooApi, artifact: str, member: Member) -> str:
    """The sha256 of the draft's copy of ``member`` (a copy of another size hashes differently)."""
    return remote_sha256(api, artifact, member.path, member.size)


def upload_verified(api: ZooApi, artifact: str, pkg: PackageFiles, member: Member, progress: Progress | None = None,
                    url: str | None = None) -> UploadedFile:
    """Send ``member`` (to ``url`` first) and verify the copy; send it once more if it differs; :class:`ReadBackMismatch` after that."""
    got = sent = ""
    for attempt in range(2):
        sent = send(api, artifact, pkg, member, progress, url if attempt == 0 else None)
        got = read_back(api, artifact, member)
        if got == sent:
            return UploadedFile(member.path, member.size, sent, True)
    raise ReadBackMismatch(f"{member.path}: the zoo stored different bytes twice (sent sha256:{sent[:16]}…, read back sha256:{got[:16]}…); "
                           "the draft is not marked for review; check the server, then run the same command again")


def verify_existing(api: ZooApi, artifact: str, pkg: PackageFiles, member: Member) -> UploadedFile | None:
    """The member as already in the draft, when its copy there has the same sha256; else None (send it)."""
    try:
        got = read_back(api, artifact, member)
    except ZooError:
        return None
    want = pkg.sha256(member)
    return UploadedFile(member.path, member.size, want, False) if got == want else None
