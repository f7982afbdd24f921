"""``release``: publish exactly the built models whose package changed, one draft per model; record it in ``collection.json``.

For each model of a ``samzoo build --all`` folder: skip what cannot go (a failed build or validation,
an automatic package, which shares its model's zoo id), keep what did not change (the same package as
the last release recorded in ``collection.json``, or the same package as the zoo holds under its id),
and publish the rest (:func:`samzoo.pipeline.publish`). One model's failure never stops the others;
each outcome goes into its ``collection.json`` entry (``published``: draft id, version, status, the
sha256 of every file) as soon as it is known.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..plumbing.atomic import write_text_atomic
from ..plumbing.errors import ArgumentError, SamzooError
from ..plumbing.hashing import file_hash
from ..publisher import UploadToken, read_token, server_url
from ..publisher.zoo_copy import zoo_holds
from .catalog_builds import BuildRecord, read_index, write_index
from .publishing import publish

PUBLISHED, UNCHANGED, SKIPPED, FAILED, PLANNED = "published", "unchanged", "skipped", "error", "planned"


@dataclass(frozen=True)
class ReleaseRecord:
    """What the release did with one model: ``action`` (published, unchanged, skipped, error, planned) and why."""

    model_type: str
    action: str
    message: str
    artifact_id: str | None = None
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"model_type": self.model_type, "action": self.action, "message": self.message,
                "artifact_id": self.artifact_id, "status": self.status}


@dataclass(frozen=True)
class _Settings:
    out: Path
    server: str
    token: UploadToken
    dry_run: bool
    skip_validation: str | None
    check_spec: bool


def _why_not(entry: dict[str, Any], out: Path) -> str | None:
    if entry.get("status") not in ("passed", "built") or not entry.get("package"):
        return f"not published: its build status is {entry.get('status')} ({entry.get('message') or 'see the report'})"
    if entry.get("mode") == "automatic":
        return "not published: an automatic package shares its model's zoo id; the zoo keeps the interactive package"
    if not (out / entry["package"]).is_file():
        return f"not published: {entry['package']} is missing from {out}; build it again"
    return None


def _unchanged(entry: dict[str, Any], package: Path, sha: str, s: _Settings) -> str | None:
    last = entry.get("published") or {}
    if last.get("package_sha256") == sha and last.get("status") in ("request-review", "published"):
        return f"unchanged since its draft {last.get('artifact_id')} ({last.get('status')})"
    if zoo_holds(package, server=s.server, token=s.token):
        return f"unchanged: the zoo holds this package as {entry.get('id')}"
    return None


def _publish_one(entry: dict[str, Any], s: _Settings) -> tuple[ReleaseRecord, dict[str, Any] | None]:
    model_type, package = entry["model_type"], s.out / entry["package"]
    why = _why_not(entry, s.out)
    if why:
        return ReleaseRecord(model_type, SKIPPED, why), None
    sha = file_hash(package, "sha256")
    same = _unchanged(entry, package, sha, s)
    if same:
        return ReleaseRecord(model_type, UNCHANGED, same), None
    changes = _diff_against_zoo(package, s) if entry.get("id") else None
    skip = s.skip_validation or ("validated by samzoo build --validate" if entry["status"] == "passed" else None)
    outcome = publish(package, server=s.server, token=s.token, dry_run=s.dry_run, skip_validation=skip, check_spec=s.check_spec)
    if outcome.result is None:
        return ReleaseRecord(model_type, PLANNED, "; ".join([*outcome.plan.lines()[2:3], *filter(None, [changes])])), None
    r = outcome.result
    record = {"artifact_id": r.artifact_id, "zoo_id": r.zoo_id, "kind": r.kind, "version": entry.get("version"), "status": r.status,
              "package_sha256": sha, "files": {f.path: f.sha256 for f in r.files},
              "at": _now()}
    message = "; ".join(filter(None, [f"{r.kind}: draft {r.artifact_id} ({r.status})", changes]))
    return ReleaseRecord(model_type, PUBLISHED, message, r.artifact_id, r.status), record


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _diff_against_zoo(package: Path, s: _Settings) -> str:
    """What the package changes against the version the zoo holds under its id (static: rdf, files, weights),
    written next to the package as ``<package>.diff.md``; one line for the release's output."""
    from ..compare import render_markdown
    from ..publisher.package_members import open_package
    from .diffing import diff

    zoo_id = str(open_package(package).rdf.get("id"))
    try:
        d = diff(zoo_id, package, static=True, server=s.server)
    except SamzooError as e:
        return f"no diff against {zoo_id} on the zoo ({e})"
    target = package.with_name(package.name + ".diff.md")
    if not s.dry_run:
        write_text_atomic(target, render_markdown(d))
    weights = f"{sum(m.changed for m in d.weights.modules)} weight tensors changed" if d.weights.changed else "weights unchanged"
    where = f" ({target.name})" if not s.dry_run else ""
    return f"against {zoo_id} on the zoo: {len(d.metadata)} rdf fields and {len(d.files)} files differ, {weights}{where}"


def _record(out: Path, model_type: str, published: dict[str, Any]) -> None:
    """Write one model's release into its ``collection.json`` entry (atomically; the other entries unchanged)."""
    rows = [BuildRecord.from_dict(e) for e in read_index(out).values()]
    write_index(out, [replace(r, published=published) if r.model_type == model_type else r for r in rows])


def release(out_dir: str | Path, *, models: Sequence[str] | None = None, server: str | None = None, token: UploadToken | None = None,
            token_file: str | Path | None = None, dry_run: bool = False, skip_validation: str | None = None, check_spec: bool = True,
            on_record: Callable[[ReleaseRecord], None] | None = None) -> list[ReleaseRecord]:
    """Publish the models of a ``samzoo build --all`` folder whose package changed; one :class:`ReleaseRecord` per model.

    ``models``: only these (default: every entry of ``collection.json``). A model validated by the build
    (status ``passed``) is not validated again; one only built is, unless ``skip_validation`` gives a reason.
    ``dry_run``: say what would be published, write nothing. ``on_record`` is called as each model is done.
    """
    out = Path(out_dir)
    index = read_index(out)
    if not index:
        raise ArgumentError("out_dir", f"{out}: no collection.json with built models; run `samzoo build --all -o {out}` first")
    unknown = sorted(set(models or ()) - set(index))
    if unknown:
        raise ArgumentError("models", f"{', '.join(unknown)} not built in {out} (built: {', '.join(sorted(index))})")
    settings = _Settings(out, server_url(server), token or read_token(token_file), dry_run, skip_validation, check_spec)
    records = []
    for model_type in sorted(models or index):
        try:
            record, published = _publish_one(index[model_type], settings)
        except SamzooError as e:  # kept in the entry beside its last good release
            record, published = ReleaseRecord(model_type, FAILED, str(e)), {**(index[model_type].get("published") or {}),
                                                                             "last_error": str(e)[:500], "last_error_at": _now()}
        if published is not None:
            _record(out, model_type, published)
        records.append(record)
        if on_record:
            on_record(record)
    return records
