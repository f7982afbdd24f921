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
from typing import Any

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


def load_state(source: bytes | Path, label: str) -> dict[str, Any]:
    """A state dict (flattened, wrappers removed) from a file's bytes or a path; raise :class:`CompareError`."""
    import torch

    try:
        if isinstance(source, Path):
            obj = torch.load(source, map_location="cpu", weights_only=True, mmap=True)
        else:
            obj = torch.load(io.BytesIO(source), map_location="cpu", weights_only=True)
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
    acc: dict[str, list] = {}
    for k in common:
        if a[k].shape != b[k].shape:
            continue
        entry = acc.setdefault(module_of(k), [0, 0, 0.0, 0.0, []])
        entry[0] += 1
        diff_sq, ref_sq = _squares(a[k], b[k])
        entry[3] += ref_sq
        if diff_sq is not None:
            entry[1] += 1
            entry[2] += diff_sq
            entry[4].append(TensorChange(k, math.sqrt(diff_sq / ref_sq) if ref_sq > 0 else math.inf))
    modules = tuple(_module(name, *acc[name]) for name in MODULES if name in acc)
    return WeightsDiff("compared", added=added, removed=removed, reshaped=reshaped, modules=modules)


def _module(name: str, tensors: int, changed: int, diff_sq: float, ref_sq: float, changes: list[TensorChange]) -> ModuleChange:
    rel = math.sqrt(diff_sq / ref_sq) if ref_sq > 0 else (0.0 if diff_sq == 0 else math.inf)
    largest = tuple(sorted(changes, key=lambda c: -c.rel_l2)[:MAX_LISTED])
    return ModuleChange(name, tensors, changed, rel, largest)


def _squares(a: Any, b: Any) -> tuple[float | None, float]:
    """(||b-a||^2 or None when equal, ||a||^2) of two tensors of the same shape (integers and bools compared as floats)."""
    import torch

    if torch.equal(a, b):
        fa = a.double() if not a.is_floating_point() else a
        return None, float(torch.linalg.vector_norm(fa, dtype=torch.float64) ** 2)
    fa = a.double() if not a.is_floating_point() else a
    fb = b.double() if not b.is_floating_point() else b
    ref = float(torch.linalg.vector_norm(fa, dtype=torch.float64) ** 2)
    return float(torch.linalg.vector_norm(fb - fa, dtype=torch.float64) ** 2), ref
