"""``diff_packages(a, b)``: what package B changes against package A (two local zips or folders)."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
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
    with ThreadPoolExecutor(2) as pool:  # sha256 and reading release the GIL: one side per core
        fut_a, fut_b = pool.submit(_read_side, side_a), pool.submit(_read_side, side_b)
        (files_a, state_a), (files_b, state_b) = fut_a.result(), fut_b.result()
    weights = _weights(side_a, side_b, files_a, files_b, state_a, state_b)
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


def _read_side(side: PackageSide) -> tuple[dict[str, FileEntry], object]:
    """Every file's size and sha256, and the weights (bytes of a zip member, or a folder file's path), in one read."""
    wanted = weights_file(side)
    chunks: list[bytes] = []
    entries = {name: hash_file(side, name, chunks.append if name == wanted and side.is_zip else None) for name in side.files}
    state: object = None
    if wanted is not None:
        state = b"".join(chunks) if side.is_zip else side.path / wanted
    return entries, state


def _weights(side_a: PackageSide, side_b: PackageSide, files_a: dict, files_b: dict, src_a: object, src_b: object) -> WeightsDiff:
    wa, wb = weights_file(side_a), weights_file(side_b)
    if wa is None or wb is None:
        missing = " and ".join(s.label for s, w in ((side_a, wa), (side_b, wb)) if w is None)
        return WeightsDiff("not compared", f"{missing}: no pytorch_state_dict weights inside the package")
    if files_a[wa].sha256 == files_b[wb].sha256:
        return WeightsDiff("identical", f"the same weights file (sha256 {files_a[wa].sha256[:12]}…)")
    return compare_states(load_state(src_a, "A"), load_state(src_b, "B"))  # type: ignore[arg-type]


def _behaviour(side_a: PackageSide, side_b: PackageSide, options: CompareOptions) -> BehaviourDiff:
    if options.static:
        return BehaviourDiff("skipped", side_a.kind, "--static: no model was run")
    if side_a.kind is None or side_a.kind != side_b.kind:
        return BehaviourDiff("not compared", None, f"A is {_kind_name(side_a.kind)}, B is {_kind_name(side_b.kind)}")
    with tempfile.TemporaryDirectory(prefix="samzoo-diff-") as tmp:
        rdf_a = side_a.unpacked(Path(tmp) / "a")
        rdf_b = side_b.unpacked(Path(tmp) / "b")
        return diff_behaviour(side_a.kind, (rdf_a, side_a.rdf), (rdf_b, side_b.rdf), options.images, options.device)

