"""``publish_package``: a package -> a draft on the zoo marked for review, in named stages.

open the package -> plan the target -> open the draft (create it, or stage a new version, or continue
the same draft) -> sync its files (each sent as raw bytes and read back by sha256; files already
there with the right sha256 are kept) -> mark it for review -> read the draft back. A draft is marked
for review only after every file verified, and is never committed. Running the same call again
continues where an interrupted one stopped and creates nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import draft_journal
from .file_upload import Progress, UploadedFile, upload_verified, verify_existing
from .package_members import Member, PackageFiles, open_package
from .publish_plan import NEW_MODEL, NEW_VERSION, PUBLISHED, PublishPlan, make_plan
from .zoo_api import NotAllowed, ZooApi, ZooError
from .zoo_server import COLLECTION, UploadToken, review_url, server_url

REVIEW = "request-review"
#: hypha's alias pattern for a new model: the zoo assigns ``{adjective}-{animal}``
ALIAS_PATTERN = "{animal_adjective}-{animal}"


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: the draft's id, its kind, its files as verified and its status on the server."""

    artifact_id: str
    zoo_id: str
    kind: str
    status: str
    files: tuple[UploadedFile, ...]
    review_url: str
    created: bool

    @property
    def sent(self) -> int:
        return sum(f.sent for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"artifact_id": self.artifact_id, "zoo_id": self.zoo_id, "kind": self.kind, "status": self.status,
                "review_url": self.review_url, "created": self.created, "files": [f.to_dict() for f in self.files]}


def _manifest(rdf: dict[str, Any], status: str | None) -> dict[str, Any]:
    """The artifact's manifest: the rdf as JSON (dates as text), with the review status when given."""
    manifest = json.loads(json.dumps(rdf, default=str))
    manifest.pop("status", None)
    return {**manifest, "status": status} if status else manifest


def _open_draft(api: ZooApi, plan: PublishPlan) -> tuple[str, bool]:
    """The draft to upload into: created now (a new model) or staged on the existing artifact; its id and whether it is new."""
    pkg = plan.package
    if plan.artifact_id is not None and (plan.continuing or plan.kind != NEW_MODEL):
        if not plan.continuing:  # a new version: open the staging area of the published model
            api.call("edit", artifact_id=plan.artifact_id, manifest=_manifest(pkg.rdf, None), stage=True, version="new")
        return plan.artifact_id, False
    try:
        art = api.call("create", parent_id=COLLECTION, alias=ALIAS_PATTERN, type="model", manifest=_manifest(pkg.rdf, None), stage=True)
    except NotAllowed as e:
        raise NotAllowed(f"{e}; log in on bioimage.io and use a token of your account") from None
    if not isinstance(art, dict) or not isinstance(art.get("id"), str) or art["id"].count("/") != 1:
        raise ZooError(f"the zoo server's create did not answer with an artifact id ({type(art).__name__}); is this a hypha server?")
    draft_journal.remember(draft_journal.DraftRecord(api.server, pkg.key, art["id"], "uploading"))
    return art["id"], True


def _unmark(api: ZooApi, aid: str, pkg: PackageFiles, was: str) -> None:
    """Take a draft out of review before its files change (a partial upload is never up for review)."""
    if was == REVIEW:
        api.call("edit", artifact_id=aid, manifest=_manifest(pkg.rdf, None), stage=True)


def _sync_files(api: ZooApi, aid: str, plan: PublishPlan, progress: Progress | None) -> tuple[UploadedFile, ...]:
    """Make the draft's files the package's: keep verified ones, send the rest, remove strangers."""
    pkg = plan.package
    present = api.list_all(aid) if plan.continuing else {}
    done: list[UploadedFile] = []
    todo: list[Member] = []
    for m in pkg.members:
        kept = verify_existing(api, aid, pkg, m) if present.get(m.path) == m.size else None
        (done.append(kept) if kept else todo.append(m))
    strangers = sorted(set(present) - {m.path for m in pkg.members})
    if todo or strangers:
        _unmark(api, aid, pkg, plan.zoo_state)
    for path in strangers:
        api.call("remove_file", artifact_id=aid, file_path=path)
    urls = api.upload_urls(aid, [m.path for m in todo])  # one call for every file to send
    done += [upload_verified(api, aid, pkg, m, progress, urls[m.path]) for m in todo]
    order = {m.path: i for i, m in enumerate(pkg.members)}
    return tuple(sorted(done, key=lambda f: order[f.path]))


def _mark_for_review(api: ZooApi, aid: str, pkg: PackageFiles) -> str:
    """Mark the draft for review and read its status back from the server."""
    api.call("edit", artifact_id=aid, manifest=_manifest(pkg.rdf, REVIEW), stage=True)
    art = api.call("read", artifact_id=aid, stage=True)
    manifest = art.get("manifest") if isinstance(art, dict) else None
    status = manifest.get("status") if isinstance(manifest, dict) else None
    if status != REVIEW or art.get("staging") is None:
        raise ZooError(f"{aid}: the server did not keep the draft marked for review (status {status!r}); run the same command again")
    return status


def _upload(api: ZooApi, plan: PublishPlan, progress: Progress | None) -> tuple[str, bool, tuple[UploadedFile, ...], str]:
    """Open the draft, sync its files, mark it for review: its id, whether it is new, its files and status."""
    try:
        aid, created = _open_draft(api, plan)
        files = _sync_files(api, aid, plan, progress)
        # marked (again) even when nothing changed: the edit is idempotent and proves the token may write to this draft
        return aid, created, files, _mark_for_review(api, aid, plan.package)
    except NotAllowed:
        if plan.kind != NEW_VERSION:
            raise
        raise NotAllowed(f"{plan.artifact_id} belongs to other maintainers: your token may not add versions to it; "
                         "ask them to add you, or remove `id` to publish a new model") from None


def _opened(package: str | Path | PackageFiles) -> PackageFiles:
    return package if isinstance(package, PackageFiles) else open_package(package)


def plan_publish(package: str | Path | PackageFiles, *, server: str | None = None, token: UploadToken | None = None) -> PublishPlan:
    """What :func:`publish_package` would do (reads the server, writes nothing): ``--dry-run``."""
    pkg = _opened(package)
    api = ZooApi(server_url(server), token)
    try:
        return make_plan(api, pkg)
    finally:
        api.close()


def publish_package(package: str | Path | PackageFiles, *, server: str | None = None, token: UploadToken,
                    progress: Progress | None = None) -> PublishResult:
    """Upload ``package`` to the zoo as a draft marked for review; the same call again continues or confirms it.

    ``server``: the zoo's hypha server (default ``$SAMZOO_ZOO_SERVER`` or the public zoo); ``token``: from
    :func:`samzoo.publisher.read_token`; ``progress``: a bar factory (``progress(file_name)``), None for none.
    Raises :class:`~samzoo.publisher.zoo_api.ZooError` (exit 1) when the server refuses or fails; the draft
    is then left as it was, not marked for review, for the same call to continue. The target is decided
    here again (not taken from an earlier :func:`plan_publish`): a validation may have run for minutes since.
    """
    pkg = _opened(package)
    api = ZooApi(server_url(server), token)
    try:
        plan = make_plan(api, pkg)
        if plan.zoo_state == PUBLISHED:
            return PublishResult(plan.artifact_id, plan.artifact_id.split("/", 1)[1], plan.kind, PUBLISHED, (),
                                 review_url(api.server, plan.artifact_id), False)
        aid, created, files, status = _upload(api, plan, progress)
        if plan.kind == NEW_MODEL:
            draft_journal.remember(draft_journal.DraftRecord(api.server, pkg.key, aid, status))
        return PublishResult(aid, aid.split("/", 1)[1], plan.kind, status, files, review_url(api.server, aid), created)
    finally:
        api.close()
