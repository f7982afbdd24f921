"""The release pipeline: build (and optionally validate) every selected catalog model into one folder.

``build_all(out_dir, ...)`` takes each model's checkpoint from a folder (named by
model type) or fetches it through the resolver, builds its package, validates it
if asked, and writes into ``out_dir``:

* the packages (``<nickname or model_type>-<version>.zip``; automatic ones ``...-<version>-ais.zip``);
* ``collection.json``: the index, one entry per model (``id``, ``version``,
  ``model_type``, ``package``, ``sha256``, ``status``, ``mode``, ...), which the resolver
  reads as a catalog source (``samzoo fetch out_dir/collection.json#ID``, see :mod:`samzoo.plumbing.collection_index`);
* ``report.json``, ``report.md``, ``report.html``: the validation report of the whole set.

Models run through samzoo's job runner (:mod:`samzoo.plumbing.jobs`): in this process, in ``jobs``
local worker processes, or on the Dask cluster at ``scheduler``; one failing model, or one
worker process that dies, never stops the others. An entry whose inputs (checkpoint files by size and mtime, the model's
spec, samzoo's version, the options) and package file did not change since the
last run is kept as it is, without building or validating again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from ..plumbing.atomic import write_text_atomic
from ..builder.exports.plan import parse_weight_formats
from ..catalog import Catalog, dump_spec, is_builtin, load_catalog
from ..plumbing.collection_index import INDEX_NAME, INDEX_TYPE, read_collection
from ..plumbing.errors import SamzooError, describe_error
from ..plumbing.jobs import Outcome, Placement, run_jobs

REPORT_NAMES = ("report.json", "report.md", "report.html")
CHECKPOINT_SUFFIXES = (".pt", ".pth")


@dataclass(frozen=True)
class BuildRecord:
    """One model of a pipeline run: a row of ``collection.json``."""

    model_type: str
    id: str | None = None
    version: str | None = None
    package: str | None = None
    sha256: str | None = None
    status: str = "error"  # passed | failed (validation) | built (not validated) | error (no package)
    mode: str | None = None  # the package kind: interactive (prompts) | automatic (instance segmentation)
    message: str = ""
    seconds: float = 0.0
    skipped: bool = False  # unchanged since the last run: nothing was done
    inputs: str | None = None
    package_stat: tuple[int, int] | None = None
    validation: dict[str, Any] | None = field(default=None, repr=False)
    published: dict[str, Any] | None = None  # the last release of this model (pipeline/releasing.py): draft, files, status

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["package_stat"] = list(self.package_stat) if self.package_stat else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("package_stat") is not None:
            known["package_stat"] = tuple(known["package_stat"])
        return cls(**known)


@dataclass(frozen=True)
class Task:
    """What one worker does for one model."""

    model_type: str
    out_dir: str
    checkpoint: str | None
    decoder: str | None
    from_catalog: bool
    validate: bool
    device: str
    previous: dict[str, Any] | None
    weight_formats: tuple[str, ...] = ("pytorch_state_dict",)


def _stat_key(path: str | None) -> list[Any] | None:
    if path is None:
        return None
    st = os.stat(path)
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


def fingerprint(spec_text: str, checkpoint: str | None, decoder: str | None, validate: bool, device: str,
                weight_formats: tuple[str, ...] = ()) -> str:
    """A hash of everything a model's package depends on; files count by path, size and mtime (no re-hash).

    ``weight_formats``: the extra formats (none for the state dict alone, so older indexes stay valid)."""
    from .. import __version__

    parts = [spec_text, _stat_key(checkpoint), _stat_key(decoder), validate, device, __version__]
    blob = json.dumps([*parts, list(weight_formats)] if weight_formats else parts)
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def find_checkpoint(folder: Path, model_type: str) -> tuple[Path, Path | None]:
    """``<folder>/<model_type>.pt`` (or ``.pth``) and, if present, ``<model_type>_decoder.pt``."""
    for suffix in CHECKPOINT_SUFFIXES:
        if (folder / f"{model_type}{suffix}").is_file():
            encoder = folder / f"{model_type}{suffix}"
            break
    else:
        raise SamzooError(f"no checkpoint for {model_type} in {folder}: expected {model_type}.pt; add it or leave the model out with --models")
    decoder = next((folder / f"{model_type}_decoder{s}" for s in CHECKPOINT_SUFFIXES if (folder / f"{model_type}_decoder{s}").is_file()), None)
    return encoder, decoder


def _unchanged(previous: dict[str, Any] | None, inputs: str, out_dir: Path) -> BuildRecord | None:
    """The previous entry, if its inputs and its package file are exactly as they were."""
    if not previous or previous.get("inputs") != inputs or not previous.get("package"):
        return None
    path = out_dir / previous["package"]
    if not path.is_file():
        return None
    st = path.stat()
    if list(previous.get("package_stat") or []) != [st.st_size, st.st_mtime_ns]:
        return None
    return BuildRecord.from_dict({**previous, "skipped": True})


def run_task(task: Task) -> BuildRecord:
    """Build (and validate) one model. Never raises: a failure is an ``error`` or ``failed`` entry."""
    start = time.perf_counter()
    try:
        return _run_task(task, start)
    except SamzooError as e:
        return BuildRecord(task.model_type, status="error", message=str(e), seconds=time.perf_counter() - start)
    except Exception as e:  # a bug or an unexpected library error must not stop the other models
        return BuildRecord(task.model_type, status="error", message=describe_error(e),
                     seconds=time.perf_counter() - start)


def _inputs(task: Task) -> Task:
    """The task with its checkpoint paths filled in (fetched through the resolver for ``from_catalog``)."""
    if not task.from_catalog:
        return task
    from ..resolver import resolve

    resolved = resolve(task.model_type, decoder=True)
    return replace(task, checkpoint=str(resolved.encoder_path),
                   decoder=str(resolved.decoder_path) if resolved.decoder_path else None, from_catalog=False)


def _task_fingerprint(task: Task, catalog: Catalog) -> str:
    extra = tuple(f for f in task.weight_formats if f != "pytorch_state_dict")
    return fingerprint(dump_spec(catalog.models[task.model_type]), task.checkpoint, task.decoder, task.validate, task.device, extra)


def _run_task(task: Task, start: float) -> BuildRecord:
    catalog = load_catalog()
    task = _inputs(task)
    inputs = _task_fingerprint(task, catalog)
    out_dir = Path(task.out_dir)
    kept = _unchanged(task.previous, inputs, out_dir)
    if kept is not None:
        return kept
    spec = catalog.models[task.model_type]

    from ..builder import build_package

    # the run owns its folder: a model whose inputs changed replaces its earlier package
    result = build_package(task.model_type, task.checkpoint, decoder=task.decoder, catalog=catalog, output=out_dir,
                           weight_formats=task.weight_formats, overwrite=True)
    final = result.path
    validation, status, message = None, "built", f"built {result.version}, {result.mode} ({result.size / 1e6:.1f} MB)"
    if task.validate:
        from ..validate import validate_package

        report = validate_package(final, device=task.device)
        validation = report.to_dict(with_cover=True)
        status = report.status
        failed = [c for c in report.checks if c.status == "failed"]
        message = f"{message}; " + (f"{len(failed)} check(s) failed: {', '.join(c.name for c in failed)}" if failed else "all checks passed")
    st = final.stat()
    return BuildRecord(
        model_type=spec.model_type, id=spec.nickname or spec.model_type, version=result.version,
        package=final.name, sha256=result.sha256, status=status, mode=result.mode, message=message,
        seconds=time.perf_counter() - start, inputs=inputs, package_stat=(st.st_size, st.st_mtime_ns),
        validation=validation,
    )


def _kept_unchanged(task: Task, catalog: Catalog) -> BuildRecord | None:
    """The previous entry when nothing changed, decided in the calling process (no torch, no worker)."""
    try:
        task = _inputs(task)
        return _unchanged(task.previous, _task_fingerprint(task, catalog), Path(task.out_dir))
    except (SamzooError, OSError):
        return None  # let the worker report it


def read_index(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The entries of ``out_dir/collection.json`` by model type (empty if there is none or it is unreadable)."""
    if not (out_dir / INDEX_NAME).is_file():
        return {}
    try:
        return {e["model_type"]: e for e in read_collection(out_dir / INDEX_NAME)}
    except SamzooError:
        return {}  # a damaged index only means that everything is built again


def write_index(out_dir: Path, entries: list[BuildRecord]) -> Path:
    """Write ``collection.json`` (atomically); validation details stay out of the index."""
    rows = []
    for e in sorted(entries, key=lambda e: e.model_type):
        row = e.to_dict()
        row.pop("validation")
        row.pop("skipped")
        rows.append(row)
    path = out_dir / INDEX_NAME
    write_text_atomic(path, json.dumps({"type": INDEX_TYPE, "format_version": 1, "collection": rows}, indent=2, ensure_ascii=False) + "\n")
    return path


def _validation_store(out_dir: Path) -> Path:
    return out_dir / ".samzoo" / "validation"


def _save_validation(out_dir: Path, entry: BuildRecord) -> None:
    if entry.validation is not None and not entry.skipped:
        store = _validation_store(out_dir)
        store.mkdir(parents=True, exist_ok=True)
        write_text_atomic(store / f"{entry.model_type}.json", json.dumps(entry.validation))


def _load_validation(out_dir: Path, entry: BuildRecord) -> dict[str, Any] | None:
    path = _validation_store(out_dir) / f"{entry.model_type}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_reports(out_dir: Path, entries: list[BuildRecord]) -> list[Path]:
    """The validation report of the whole set (JSON, Markdown, HTML), from each model's validation."""
    from ..validate.report import write_report
    from ..validate.result import PackageReport

    reports = []
    for e in entries:
        data = e.validation or _load_validation(out_dir, e)
        if data is not None:
            reports.append(PackageReport.from_dict(data))
    if not reports:
        return []
    return [write_report(reports, out_dir / name) for name in REPORT_NAMES]


@dataclass(frozen=True)
class Selection:
    """The models a run builds, and why: the ones asked for, or the family's current models (plus the user's)."""

    model_types: tuple[str, ...]
    asked: bool  # the models were named by the caller
    user_models: tuple[str, ...] = ()  # current user-catalog models built (user_models=True)
    left_out: tuple[str, ...] = ()  # current user-catalog models not built (neither named nor user_models=True)


def select_models(catalog: Catalog, models: list[str] | None, user_models: bool = False) -> Selection:
    """The given names (any catalog name), or every current model of the family (samzoo's own catalog), with the
    current models of the user catalog only when ``user_models``."""
    if models:
        return Selection(tuple(dict.fromkeys(catalog.lookup(m).model_type for m in models)), asked=True)
    family = tuple(s.model_type for s in catalog.current() if is_builtin(s))
    users = tuple(s.model_type for s in catalog.current() if not is_builtin(s))
    if user_models:
        return Selection(family + users, asked=False, user_models=users)
    return Selection(family, asked=False, left_out=users)


def _make_tasks(selected: list[str], out: Path, checkpoints: str | Path | None, *, from_catalog: bool,
                validate: bool, device: str, previous: dict[str, dict[str, Any]],
                weight_formats: tuple[str, ...] = ("pytorch_state_dict",)) -> tuple[list[Task], list[BuildRecord]]:
    """One task per selected model, and an ``error`` entry for each model without a checkpoint."""
    tasks: list[Task] = []
    missing: list[BuildRecord] = []
    for model_type in selected:
        checkpoint = decoder = None
        if checkpoints is not None:
            try:
                enc, dec = find_checkpoint(Path(checkpoints), model_type)
            except SamzooError as e:
                missing.append(BuildRecord(model_type, status="error", message=str(e)))
                continue
            checkpoint, decoder = str(enc.absolute()), (str(dec.absolute()) if dec else None)
        tasks.append(Task(model_type, str(out.absolute()), checkpoint, decoder, from_catalog, validate, device,
                          previous.get(model_type), weight_formats))
    return tasks, missing


def _entry_of(outcome: Outcome, task: Task) -> BuildRecord:
    """The task's entry; a job that did not return (its worker process died) is an ``error`` entry saying why."""
    if outcome.ok:
        return outcome.value
    return BuildRecord(task.model_type, status="error", message=outcome.error or "the build did not finish")


def build_all(
    out_dir: str | Path,
    *,
    models: list[str] | None = None,
    checkpoints: str | Path | None = None,
    from_catalog: bool = False,
    validate: bool = False,
    jobs: int = 1,
    device: str = "cpu",
    on_event: Callable[[str, BuildRecord | str | Selection], None] | None = None,
    scheduler: str | None = None,
    resources: Mapping[str, float] | None = None,
    weight_formats: str | Sequence[str] | None = None,
    user_models: bool = False,
) -> list[BuildRecord]:
    """Build every selected model into ``out_dir``; returns one :class:`BuildRecord` per model.

    Give exactly one of ``checkpoints`` (a folder with ``<model_type>.pt``) and ``from_catalog``
    (fetch the published weights through the resolver). ``jobs`` local worker processes, or the
    Dask cluster at ``scheduler`` (whose workers must see ``out_dir`` and the checkpoints at the
    same paths), with ``resources`` per model (e.g. ``{"GPU": 1}``): see :mod:`samzoo.plumbing.jobs`.
    ``models``: catalog names; default the family's current models, and those of the user catalog too with
    ``user_models``. ``on_event("selected", selection)`` says which and why (:class:`Selection`);
    ``on_event("start", model_type)`` and ``on_event("done", entry)`` report progress.
    ``weight_formats``: as for :func:`samzoo.build_package`, for every model.
    """
    if (checkpoints is None) == (not from_catalog):
        raise SamzooError("give exactly one weight source: --checkpoints DIR or --from-catalog")
    placement = Placement.of(jobs, scheduler, resources)
    formats = parse_weight_formats(weight_formats)
    catalog = load_catalog()
    selection = select_models(catalog, models, user_models)
    if on_event:
        on_event("selected", selection)
    selected = list(selection.model_types)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    previous = read_index(out)
    tasks, entries = _make_tasks(selected, out, checkpoints, from_catalog=from_catalog, validate=validate, device=device,
                                 previous=previous, weight_formats=formats)
    others = [BuildRecord.from_dict(p) for m, p in previous.items() if m not in selected]  # kept in the index

    def done(entry: BuildRecord) -> None:
        if entry.published is None:  # a rebuild keeps the record of what was released
            entry = replace(entry, published=(previous.get(entry.model_type) or {}).get("published"))
        _save_validation(out, entry)
        entries.append(entry)
        write_index(out, entries + others)  # after every model: an interrupted run keeps what it finished
        if on_event:
            on_event("done", entry)

    for e in entries:
        if on_event:
            on_event("done", e)
    pending = []
    for task in tasks:
        kept = _kept_unchanged(task, catalog) if task.previous else None
        if kept is None:
            pending.append(task)
        else:
            done(kept)
    run_jobs(
        run_task, [(t,) for t in pending], placement,
        on_start=(lambda i: on_event("start", pending[i].model_type)) if on_event else None,
        on_done=lambda outcome: done(_entry_of(outcome, pending[outcome.index])),
    )
    write_index(out, entries + others)
    write_reports(out, entries)
    order = {m: i for i, m in enumerate(selected)}
    return sorted(entries, key=lambda e: order.get(e.model_type, len(order)))
