"""What changed in the weights: state-dict keys added/removed, shapes, and per SAM module the relative L2 change.

State dicts are read with ``torch.load(weights_only=True)`` (no arbitrary object is unpickled; a folder's
file is memory-mapped). Keys are compared after removing the wrappers packages add (``model_state.`` of
automatic packages, ``sam.`` of micro-sam's adaptor), so an interactive and an automatic package of the
same SAM compare their common modules.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..plumbing.errors import one_line
from .package_side import CompareError

MODULES = ("image_encoder", "prompt_encoder", "mask_decoder", "unetr_decoder", "other")
_WRAPPERS = ("model_state.", "sam.")
MAX_LISTED = 10
MAX_DEPTH = 3


@dataclass(frozen=True)
class TensorChange:
    key: str
    rel_l2: float


@dataclass(frozen=True)
class ModuleChange:
    """One module: its tensors (common to both), how many changed, the relative L2 change ||b-a|| / ||a|| over them."""

    module: str
    tensors: int
    changed: int
    rel_l2: float
    largest: tuple[TensorChange, ...] = ()


@dataclass(frozen=True)
class WeightsDiff:
    """``status``: ``identical`` (same file), ``compared``, or ``not compared`` (``note`` says why)."""

    status: str
    note: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reshaped: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = ()
    modules: tuple[ModuleChange, ...] = ()

    @property
    def changed(self) -> bool:
        return self.status == "compared" and bool(self.added or self.removed or self.reshaped or any(m.changed for m in self.modules))


def module_of(key: str) -> str:
    """The SAM module a (normalised) state-dict key belongs to."""
    if key.startswith("decoder_state."):
        return "unetr_decoder"
    for name in MODULES[:3]:
        if key.startswith(name + ".") or f".{name}." in key:
            return name
    return "other"


def load_state(source: bytes | Path | BinaryIO, label: str) -> dict[str, Any]:
    """A state dict (flattened, wrappers removed) from bytes, a path (memory-mapped) or a file; raise :class:`CompareError`."""
    import torch

    try:
        if isinstance(source, Path):
            obj = torch.load(source, map_location="cpu", weights_only=True, mmap=True)
        else:
            obj = torch.load(io.BytesIO(source) if isinstance(source, bytes) else source, map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError for anything but tensors and plain containers
        raise CompareError(f"{label}: its weights cannot be read as a state dict ({type(e).__name__}: {one_line(e, 120)})") from None
    if not isinstance(obj, dict):
        raise CompareError(f"{label}: its weights file holds a {type(obj).__name__}, not a state dict")
    flat: dict[str, Any] = {}
    _flatten("", obj, flat, 0)
    return {_normalise(k): v for k, v in flat.items()}


def _flatten(prefix: str, obj: dict, out: dict[str, Any], depth: int) -> None:
    import torch

    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, torch.Tensor):
            out[key] = v
        elif isinstance(v, dict) and depth < MAX_DEPTH:
            _flatten(key + ".", v, out, depth + 1)


def _normalise(key: str) -> str:
    for w in _WRAPPERS:
        if key.startswith(w):
            key = key[len(w):]
    return key


def compare_states(a: dict[str, Any], b: dict[str, Any]) -> WeightsDiff:
    """Keys added/removed, shape changes, and per module the changed tensors and relative L2 change."""
    added = tuple(sorted(set(b) - set(a)))
    removed = tuple(sorted(set(a) - set(b)))
    common = [k for k in a if k in b]
    reshaped = tuple((k, tuple(a[k].shape), tuple(b[k].shape)) for k in common if a[k].shape != b[k].shape)
    same = [k for k in common if a[k].shape == b[k].shape]
    equal = {k: _equal(a[k], b[k]) for k in same}
    modules = tuple(_module(name, [k for k in same if module_of(k) == name], a, b, equal) for name in MODULES
                    if any(module_of(k) == name for k in same))
    return WeightsDiff("compared", added=added, removed=removed, reshaped=reshaped, modules=modules)


def _module(name: str, keys: list[str], a: dict[str, Any], b: dict[str, Any], equal: dict[str, bool]) -> ModuleChange:
    """One module's counts and relative L2 change (norms computed only when some tensor of it changed)."""
    changed = [k for k in keys if not equal[k]]
    if not changed:
        return ModuleChange(name, len(keys), 0, 0.0)
    ref_sq = {k: _norm_sq(a[k]) for k in keys}
    diff_sq = {k: _norm_sq(_float(b[k]) - _float(a[k])) for k in changed}
    total_ref = sum(ref_sq.values())
    rel = lambda d, r: math.sqrt(d / r) if r > 0 else (0.0 if d == 0 else math.inf)  # noqa: E731
    largest = sorted((TensorChange(k, rel(diff_sq[k], ref_sq[k])) for k in changed), key=lambda c: -c.rel_l2)[:MAX_LISTED]
    return ModuleChange(name, len(keys), len(changed), rel(sum(diff_sq.values()), total_ref), tuple(largest))


def _equal(a: Any, b: Any) -> bool:
    import torch

    return torch.equal(a, b)


def _float(t: Any) -> Any:
    return t if t.is_floating_point() else t.double()


def _norm_sq(t: Any) -> float:
    import torch

    return float(torch.linalg.vector_norm(_float(t), dtype=torch.float64) ** 2)
