"""``draft_status``: a draft read back from the zoo: its status, versions and files with their sha256."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..plumbing.errors import ArgumentError
from .file_upload import remote_sha256
from .zoo_api import NotFound, ZooApi, ZooError
from .zoo_server import UploadToken, artifact_id, review_url, server_url


@dataclass(frozen=True)
class DraftFile:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DraftStatus:
    """A model on the zoo as the server shows it: staged (a draft) or not, its status and files."""

    artifact_id: str
    name: str
    staged: bool
    status: str
    versions: tuple[str, ...]
    files: tuple[DraftFile, ...]
    review_url: str

    def to_dict(self) -> dict[str, Any]:
        return {"artifact_id": self.artifact_id, "name": self.name, "staged": self.staged, "status": self.status,
                "versions": list(self.versions), "review_url": self.review_url,
                "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files]}


def draft_status(zoo_id: str, *, server: str | None = None, token: UploadToken | None = None) -> DraftStatus:
    """Read ``zoo_id`` (``affable-otter`` or ``bioimage-io/affable-otter``) back: its draft if it has one, else its published state."""
    if not isinstance(zoo_id, str) or not zoo_id.strip() or zoo_id.count("/") > 1 or len(zoo_id) > 200:
        raise ArgumentError("zoo_id", f"{zoo_id!r} is not a zoo id (e.g. affable-otter)")
    aid = artifact_id(zoo_id.strip())
    api = ZooApi(server_url(server), token)
    try:
        try:
            art = api.call("read", artifact_id=aid, stage=True)
        except NotFound:
            raise ZooError(f"{aid}: no such model on {api.server}; check the id") from None
        if not isinstance(art, dict):
            raise ZooError(f"{aid}: the server's answer is not an artifact; is this a hypha server?")
        staged = art.get("staging") is not None
        manifest = art.get("manifest") if isinstance(art.get("manifest"), dict) else {}
        listed = api.list_all(aid, stage=staged)
        files = tuple(DraftFile(p, s, remote_sha256(api, aid, p, s, staged)) for p, s in sorted(listed.items()))
        versions = tuple(str(v.get("version")) for v in art.get("versions") or [] if isinstance(v, dict))
        status = str(manifest.get("status") or ("draft" if staged else "published"))
        return DraftStatus(aid, str(manifest.get("name", "")), staged, status, versions, files, review_url(api.server, aid))
    finally:
        api.close()
