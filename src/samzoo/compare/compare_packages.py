"""``diff_packages(a, b)``: what package B changes against package A (two local zips or folders)."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .behaviour_changes import BehaviourDiff, diff_behaviour
from .diff_result import PackageDiff
from .file_changes import FileEntry, file_changes, hash_file
from .metadata_changes import rdf_changes
from .package_side import PackageSide, open_side
from .weight_changes import WeightsDiff, compare_states, load_state


@dataclass(frozen=True)
class CompareOptions:
    """``static``: no model is run; ``images``: more inputs for both models; ``device``: where they run (default cpu)."""

    static: bool = False
    images: tuple[Path, ...] = field(default=())
    device: str = "cpu"


def diff_packages(a: str | os.PathLike, b: str | os.PathLike, options: CompareOptions | None = None) -> PackageDiff:
    """Compare two local packages (zips or folders); raise :class:`~.package_side.CompareError` for one that cannot be read."""
    options = options or CompareOptions()
    side_a, side_b = open_side(a, "A"), open_side(b, "B")
    notes = []
    if side_a.kind != side_b.kind:
        notes.append(f"A is {_kind_name(side_a.kind)}, B is {_kind_name(side_b.kind)}: their behaviour is not compared")
    # hashing, reading and torch.load release the GIL: both sides' files are hashed while their weights load
    with ThreadPoolExecutor(4) as pool:
        states = (pool.submit(_load_side, side_a), pool.submit(_load_side, side_b))
        fut_a, fut_b = pool.submit(_read_side, side_a), pool.submit(_read_side, side_b)
        files_a, files_b = fut_a.result(), fut_b.result()
        weights = _weights(side_a, side_b, files_a, files_b, states)
    behaviour = _behaviour(side_a, side_b, options)
    return PackageDiff(str(a), str(b), side_a.kind, side_b.kind, tuple(rdf_changes(side_a.rdf, side_b.rdf)),
                       tuple(file_changes(files_a, files_b)), weights, behaviour, tuple(notes))


def _kind_name(kind: str | None) -> str:
    return {"interactive": "an interactive SAM package", "automatic": "an automatic (AIS) SAM package"}.get(str(kind), "not a SAM package")


def weights_file(side: PackageSide) -> str | None:
    """The package's ``pytorch_state_dict`` file, when it is inside the package."""
    weights = side.rdf.get("weights")
    entry = weights.get("pytorch_state_dict") if isinstance(weights, dict) else None
    source = entry.get("source") if isinstance(entry, dict) else None
    return source if isinstance(source, str) and source in side.files else None


def _read_side(side: PackageSide) -> dict[str, FileEntry]:
    """Every file's size and sha256, each read once in a stream."""
    return {name: hash_file(side, name) for name in side.files}


def _load_side(side: PackageSide) -> dict:
    """The side's state dict: a folder's file memory-mapped, a zip member read from the zip (see :mod:`.zip_window`)."""
    name = weights_file(side)
    if name is None:
        return {}
    if not side.is_zip:
        return load_state(side.path / str(name), side.label)
    with side.open_file(str(name)) as f:
        return load_state(f, side.label)


def _weights(side_a: PackageSide, side_b: PackageSide, files_a: dict, files_b: dict, states: tuple[Future, Future]) -> WeightsDiff:
    wa, wb = weights_file(side_a), weights_file(side_b)
    if wa is None or wb is None:
        missing = " and ".join(s.label for s, w in ((side_a, wa), (side_b, wb)) if w is None)
        return WeightsDiff("not compared", f"{missing}: no pytorch_state_dict weights inside the package")
    if files_a[wa].sha256 == files_b[wb].sha256:
        return WeightsDiff("identical", f"the same weights file (sha256 {files_a[wa].sha256[:12]}…)")
    return compare_states(states[0].result(), states[1].result())


def _behaviour(side_a: PackageSide, side_b: PackageSide, options: CompareOptions) -> BehaviourDiff:
    if options.static:
        return BehaviourDiff("skipped", side_a.kind, "--static: no model was run")
    if side_a.kind is None or side_a.kind != side_b.kind:
        return BehaviourDiff("not compared", None, f"A is {_kind_name(side_a.kind)}, B is {_kind_name(side_b.kind)}")
    with tempfile.TemporaryDirectory(prefix="samzoo-diff-") as tmp:
        rdf_a = side_a.unpacked(Path(tmp) / "a")
        rdf_b = side_b.unpacked(Path(tmp) / "b")
        return diff_behaviour(side_a.kind, (rdf_a, side_a.rdf), (rdf_b, side_b.rdf), options.images, options.device)

