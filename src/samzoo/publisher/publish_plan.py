"""What a publish will do, decided by reading only: new model or new version of which, new draft or the same one again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import draft_journal
from .package_members import BadPackageError, PackageFiles
from .zoo_api import NotAllowed, NotFound, ZooApi, ZooError
from .zoo_server import COLLECTION, artifact_id

NEW_MODEL = "new model"
NEW_VERSION = "new version"
#: the zoo state of a package the curators already accepted
PUBLISHED = "published"


@dataclass(frozen=True)
class PublishPlan:
    """The target of a publish: ``kind`` (new model / new version), the artifact (None: created on upload)."""

    server: str
    package: PackageFiles
    kind: str
    artifact_id: str | None
    continuing: bool
    zoo_state: str

    def lines(self) -> list[str]:
        """The plan in words (``--dry-run`` prints them)."""
        pkg = self.package
        if self.kind == NEW_VERSION:
            target = f"a new version of {self.artifact_id}" + (" (continuing its staged draft)" if self.continuing else "")
        elif self.zoo_state == PUBLISHED:
            target = f"nothing: this package is already published as {self.artifact_id}; set `id` in the rdf to add a version"
        elif self.continuing:
            target = f"a new model: continuing draft {self.artifact_id} ({self.zoo_state})"
        else:
            target = f"a new model in {COLLECTION} (the zoo assigns its id)"
        return [f"server: {self.server}", f"package: {pkg.source} ({len(pkg.members)} files, {pkg.total_bytes} bytes)",
                f"target: {target}", *(f"  {m.path} ({m.size} bytes)" for m in pkg.members),
                "then: every file read back and compared by sha256, the draft marked for review (never committed)"]

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "package": str(self.package.source), "kind": self.kind, "artifact_id": self.artifact_id,
                "continuing": self.continuing, "files": [{"path": m.path, "size": m.size} for m in self.package.members]}


def _may_write(art: dict[str, Any]) -> bool | None:
    """Whether the token's user may upload to ``art`` (from the ``_permissions`` the server reports), None if unknown."""
    perms = art.get("_permissions")
    if not isinstance(perms, dict) or not perms:
        return None
    return any(isinstance(p, list) and "put_file" in p for p in perms.values())


def _existing_model(api: ZooApi, zoo_id: str) -> dict[str, Any]:
    aid = artifact_id(zoo_id)
    try:
        art = api.call("read", artifact_id=aid)
    except NotFound:
        raise BadPackageError(f"the rdf's id {zoo_id!r} is not a model on {api.server}; remove `id` to publish a new model, "
                              "or set the id of the published model") from None
    if not isinstance(art, dict) or art.get("parent_id") != COLLECTION:
        raise BadPackageError(f"{aid} on {api.server} is not a model of {COLLECTION}; check the rdf's id")
    if _may_write(art) is False:
        raise NotAllowed(f"{aid} belongs to other maintainers: your token may not add versions to it; ask them to add you, "
                         "or remove `id` to publish a new model")
    return art


def _staged(api: ZooApi, aid: str) -> dict[str, Any] | None:
    """The staged view of ``aid``, or None when it has no draft (gone, or committed by the curators)."""
    try:
        art = api.call("read", artifact_id=aid, stage=True)
    except NotFound:
        return None
    return art if isinstance(art, dict) and art.get("staging") is not None else None


def _committed(api: ZooApi, aid: str) -> bool:
    try:
        return isinstance(api.call("read", artifact_id=aid), dict)
    except NotFound:
        return False


def _status(art: dict[str, Any] | None) -> str:
    manifest = (art or {}).get("manifest")
    return str(manifest.get("status") or "draft") if isinstance(manifest, dict) else "draft"


def make_plan(api: ZooApi, pkg: PackageFiles) -> PublishPlan:
    """Decide the target by reading the server (and this machine's draft record); writes nothing."""
    zoo_id = pkg.rdf.get("id")
    if zoo_id:
        art = _existing_model(api, str(zoo_id))
        staged = _staged(api, art["id"])
        return PublishPlan(api.server, pkg, NEW_VERSION, art["id"], staged is not None, _status(staged))
    try:
        api.call("read", artifact_id=COLLECTION)  # checks the token (401) and that this is the zoo
    except NotFound:
        raise ZooError(f"{api.server} has no {COLLECTION} collection; is it the zoo's server?") from None
    record = draft_journal.recall(api.server, pkg.key)
    if record is not None:
        staged = _staged(api, record.artifact_id)
        if staged is not None:
            return PublishPlan(api.server, pkg, NEW_MODEL, record.artifact_id, True, _status(staged))
        if _committed(api, record.artifact_id):
            return PublishPlan(api.server, pkg, NEW_MODEL, record.artifact_id, False, PUBLISHED)
        draft_journal.forget(api.server, pkg.key)
    return PublishPlan(api.server, pkg, NEW_MODEL, None, False, "none")
