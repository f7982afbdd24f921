"""Read SAM checkpoints safely (``weights_only=True``) in any of the formats the family uses.

Accepted files:

* a plain SAM state dict (``image_encoder.patch_embed.proj.weight``, ...);
* a fine-tuning checkpoint ``{"model_state": ..., "decoder_state": ..., <training state>}``
  whose SAM keys may carry a ``sam.`` prefix;
* a combined zoo file ``{"model_state": ..., "decoder_state": ...}``.

The encoder is inferred from the weights: ``image_encoder.patch_embed.proj.weight``
has 768 (vit_b), 1024 (vit_l) or 1280 (vit_h) output channels; TinyViT
weights without ``patch_embed.proj`` are vit_t (MobileSAM).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import torch

from .errors import SamzooError

_PATCH_EMBED = "image_encoder.patch_embed.proj.weight"
_WIDTH_TO_ENCODER = {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}
_TINYVIT_MARK = "image_encoder.patch_embed.seq."
_REQUIRED_PREFIXES = ("image_encoder.", "prompt_encoder.", "mask_decoder.")


class CheckpointError(SamzooError):
    """A file that is not a usable SAM checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """The SAM weights (and optional decoder weights) read from a file."""

    path: Path
    encoder: str
    state_dict: dict[str, torch.Tensor]
    decoder_state: dict[str, torch.Tensor] | None = None
    extra_keys: tuple[str, ...] = field(default=())
    #: the file is a plain SAM state dict (no wrapper, no key prefix): it can be shipped as it is
    plain: bool = False


def infer_encoder(state_dict: Mapping[str, Any], source: str = "checkpoint") -> str:
    """``vit_t|vit_b|vit_l|vit_h`` from a plain SAM state dict."""
    weight = state_dict.get(_PATCH_EMBED)
    if weight is not None:
        width = int(weight.shape[0])
        if width not in _WIDTH_TO_ENCODER:
            raise CheckpointError(
                f"{source}: {_PATCH_EMBED} has {width} channels; expected 768 (vit_b), 1024 (vit_l) or 1280 (vit_h)"
            )
        return _WIDTH_TO_ENCODER[width]
    if any(k.startswith(_TINYVIT_MARK) for k in state_dict):
        return "vit_t"
    raise CheckpointError(
        f"{source}: no SAM image encoder weights found (neither {_PATCH_EMBED} nor TinyViT keys); "
        "pass a SAM or micro-sam checkpoint"
    )


def _torch_load(path: Path) -> Any:
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file; pass the .pt file")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file; check the path")
    is_zip = _is_zip(path)
    if is_zip and _is_package(path):
        raise CheckpointError(f"{path}: a BioImage.IO package (it holds an rdf.yaml), not a checkpoint; pass the SAM "
                              "weights it was built from (a .pt state dict or micro-sam checkpoint)")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols on its way to refusing a file
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=is_zip)
    except Exception as e:  # torch raises many types for corrupt files (KeyError, RuntimeError, EOFError, ...)
        raise CheckpointError(_refusal(path, e, is_zip)) from None


def _refusal(path: Path, e: BaseException, is_zip: bool) -> str:
    """One complete line saying why torch refused ``path`` (never cut mid-sentence) and what to do."""
    text = str(e)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found or "Unsupported global" in text:  # a pickled class or function, not garbage
        what = found.group(1) if found else "a Python object"
        return (f"{path}: holds pickled Python objects that are not tensors ({what}); samzoo never unpickles "
                "arbitrary objects: save the state dict alone with torch.save(checkpoint['model_state'], 'weights.pt')")
    detail = _torch_error_detail(text) or type(e).__name__
    if not is_zip and _starts_like_pickle(path):
        return (f"{path}: a plain Python pickle, not a PyTorch checkpoint (torch.load refuses it: {detail}); "
                "save the weights with torch.save(state_dict, path)")
    return f"{path}: not a readable PyTorch checkpoint ({detail}); is the file complete?"


def _torch_error_detail(text: str, limit: int = 160) -> str:
    """The first sentence of a torch.load error's informative part, shortened at a word if needed."""
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1]
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0].rstrip(".")
    if len(line) > limit:
        line = line[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return line


def _starts_like_pickle(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(1) == b"\x80"
    except OSError:
        return False


def _is_package(path: Path) -> bool:
    """The zip ``path`` holds a BioImage.IO description (``rdf.yaml``, ``bioimageio.yaml``) and no torch archive record."""
    from .rdf_files import rdf_in_names

    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return rdf_in_names(names) is not None and not any(n.endswith("/data.pkl") or n == "data.pkl" for n in names)


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _tensor_dict(obj: Any, what: str, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path}: {what} is not a dict of tensors; pass a SAM state dict or a micro-sam checkpoint")
    return dict(obj)


def split_checkpoint(obj: Any, path: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor] | None, tuple[str, ...]]:
    """(sam state dict without prefixes, decoder state or None, names of other top-level keys)."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a dict; pass a SAM state dict or a micro-sam checkpoint")
    if "model_state" in obj:
        state = _tensor_dict(obj["model_state"], "'model_state'", path)
        decoder = _tensor_dict(obj["decoder_state"], "'decoder_state'", path) if obj.get("decoder_state") is not None else None
        extra = tuple(sorted(str(k) for k in obj if k not in ("model_state", "decoder_state")))
    else:
        state, decoder, extra = _tensor_dict(obj, "the checkpoint", path), None, ()
    if state and all(k.startswith("sam.") for k in state):
        state = {k[len("sam."):]: v for k, v in state.items()}
    missing = [p for p in _REQUIRED_PREFIXES if not any(k.startswith(p) for k in state)]
    if missing:
        raise CheckpointError(
            f"{path}: SAM weights incomplete, no keys under {', '.join(missing)}; pass the full SAM checkpoint"
        )
    return state, decoder, extra


def as_float32(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating tensors of another precision (float64 from a double-precision training, float16, bfloat16) as float32.

    SAM runs in float32; a float64 weight would meet float32 activations (``self and mat2 must
    have the same dtype``). Tensors already float32 are returned as they are (no copy).
    """
    return {k: v.float() if v.is_floating_point() and v.dtype != torch.float32 else v for k, v in state.items()}


def nonfinite_problem(state: Mapping[str, torch.Tensor], path: Path, what: str = "weights") -> str | None:
    """A one-line description of NaN or infinite values in ``state``, or None when every value is finite."""
    bad = [(k, int((~torch.isfinite(v)).sum())) for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if not bad:
        return None
    kinds = "NaN or inf"
    total = sum(n for _, n in bad)
    return (f"{path}: {len(bad)} of {len(state)} {what} tensors hold {kinds} values ({total} values; first: {bad[0][0]}); "
            "the training diverged or the file is damaged: use an earlier checkpoint")


def safe_load_weights(path: str | Path) -> Mapping[str, Any]:
    """Load ``path`` with ``weights_only=True`` and check it is a dict; :class:`CheckpointError` otherwise.

    Zip-format files are memory-mapped, so this reads little more than their index.
    """
    path = Path(path)
    obj = _torch_load(path)
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a dict of tensors")
    return obj


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read ``path`` with ``weights_only=True`` and return its SAM weights (float32) and inferred encoder."""
    path = Path(path)
    obj = _torch_load(path)
    state, decoder, extra = split_checkpoint(obj, path)
    plain = isinstance(obj, Mapping) and "model_state" not in obj and len(obj) == len(state) and all(k in obj for k in state)
    decoder = as_float32(decoder) if decoder is not None else None
    return Checkpoint(path, infer_encoder(state, str(path)), as_float32(state), decoder, extra, plain)


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state dict file (e.g. a decoder ``vit_b_decoder.pt``), read with ``weights_only=True``."""
    path = Path(path)
    obj = _torch_load(path)
    if isinstance(obj, Mapping) and "decoder_state" in obj and "model_state" not in obj:
        obj = obj["decoder_state"]
    return _tensor_dict(obj, "the file", path)
