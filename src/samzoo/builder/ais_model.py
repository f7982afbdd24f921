"""Automatic instance segmentation (AIS) models in samzoo's own process.

The architecture itself is ``samzoo/architectures/sam_ais.py`` (the file shipped
inside AIS packages); this module builds it fast from checkpoint tensors, makes
random checkpoints for tests and benchmarks, and checks AIS parameters given by
users (``ais_params``, the CLI's ``--ais-param name=value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ..architectures import sam_ais
from ..plumbing.errors import ArgumentError
from ..plumbing.sam_checkpoint import CheckpointError

#: AIS parameter -> type; defaults are micro-sam 1.8.14's ``InstanceSegmentationWithDecoder.generate``
PARAM_TYPES: dict[str, type] = {name: type(value) for name, value in sam_ais.DEFAULT_PARAMS.items()}
PARAM_TYPES["batch_norm"] = str
DEFAULT_PARAMS: dict[str, Any] = {**sam_ais.DEFAULT_PARAMS, "batch_norm": "image"}
DECODER_TENSORS = 66  # tensors in a micro-sam decoder_state (both variants)
_DECODER_PREFIXES = ("base.", "decoder.", "deconv1.", "deconv2.", "deconv3.", "deconv4.", "deconv_out.",
                     "decoder_head.", "out_conv.")


def ais_params(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults overridden by ``given`` (values may be strings, as from the command line), checked and typed."""
    params = dict(DEFAULT_PARAMS)
    for name, value in (given or {}).items():
        if name not in PARAM_TYPES:
            raise ArgumentError("ais_params", f"unknown parameter {name!r}; choose from {', '.join(sorted(PARAM_TYPES))}")
        params[name] = _typed(name, value)
    if params["batch_norm"] not in ("image", "running"):
        raise ArgumentError("ais_params", f"batch_norm must be 'image' (as micro-sam's library) or 'running', not {params['batch_norm']!r}")
    for name in ("foreground_smoothing", "distance_smoothing", "min_size"):
        if params[name] < 0:
            raise ArgumentError("ais_params", f"{name} must be >= 0, not {params[name]}")
    return params


def _typed(name: str, value: Any) -> Any:
    kind = PARAM_TYPES[name]
    if kind is str:
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError("ais_params", f"{name} must be a number, not {value!r}") from None
    if kind is int:
        if number != int(number):
            raise ArgumentError("ais_params", f"{name} must be a whole number, not {value!r}")
        return int(number)
    if number != number or number in (float("inf"), float("-inf")):
        raise ArgumentError("ais_params", f"{name} must be a finite number, not {value!r}")
    return number


def decoder_only(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The decoder's tensors: a full UNETR state also holds its SAM encoder (``encoder.*``), which micro-sam ignores."""
    return {k: v for k, v in state.items() if not k.startswith("encoder.")}


def check_decoder_state(state: Mapping[str, torch.Tensor], source: str) -> bool:
    """Whether the decoder upsamples by transposed convolutions; CheckpointError if it is not a UNETR decoder."""
    strange = sorted(k for k in state if not k.startswith(_DECODER_PREFIXES))
    if strange:
        raise CheckpointError(
            f"{source}: not a micro-sam instance-segmentation decoder (unexpected key {strange[0]!r}); "
            "pass the decoder_state of a micro-sam checkpoint"
        )
    transposed = sam_ais.is_transposed(dict(state))
    expected = sam_ais.AISDecoder(transposed=transposed).to("meta").state_dict()
    missing = sorted(set(expected) - set(state))
    if missing:
        raise CheckpointError(f"{source}: the decoder misses {len(missing)} tensors (e.g. {missing[0]}); pass a complete decoder_state")
    wrong = next((k for k in expected if tuple(expected[k].shape) != tuple(state[k].shape)), None)
    if wrong is not None:
        raise CheckpointError(
            f"{source}: decoder tensor {wrong} has shape {tuple(state[wrong].shape)}, expected "
            f"{tuple(expected[wrong].shape)}; the decoder does not fit SAM's UNETR"
        )
    return transposed


def build_ais(sam: nn.Module, encoder: str, decoder_state: Mapping[str, torch.Tensor], params: Mapping[str, Any] | None = None) -> sam_ais.SamAIS:
    """The AIS model around an already built Sam (see ``samzoo.plumbing.sam_models.build_sam``), in eval mode."""
    params = ais_params(params)
    transposed = check_decoder_state(decoder_state, "decoder")
    model = sam_ais.SamAIS(encoder, transposed_decoder=transposed, sam=sam, **params)
    model.decoder.load_state_dict(dict(decoder_state), strict=True)
    return model.eval()


def random_ais_checkpoint(encoder: str, seed: int = 0, transposed: bool = False) -> dict[str, dict[str, torch.Tensor]]:
    """``{"model_state", "decoder_state"}`` of a random SAM (``torch.manual_seed(seed)``) and a random decoder.

    Deterministic for a torch version: the reference labels checked in under ``tests/data`` were made
    from ``random_ais_checkpoint("vit_t", 0)``. Never a publishable model.
    """
    from ..plumbing.sam_models import random_sam

    sam = random_sam(encoder, seed)
    decoder = sam_ais.AISDecoder(transposed=transposed)
    return {"model_state": dict(sam.state_dict()), "decoder_state": dict(decoder.state_dict())}


def save_random_ais_checkpoint(path, encoder: str, seed: int = 0, transposed: bool = False) -> None:
    """Write :func:`random_ais_checkpoint` to ``path`` (a combined zoo file), atomically."""
    import os
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(random_ais_checkpoint(encoder, seed, transposed), f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def adjusted_rand_index(a, b) -> float:
    """Adjusted Rand index of two label images of the same shape (1.0 = the same partition)."""
    import numpy as np

    a = np.asarray(a).ravel()
    b = np.asarray(b).ravel()
    if a.shape != b.shape:
        raise ValueError(f"label images differ in size: {a.size} vs {b.size}")
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    pairs = ai.astype(np.int64) * (int(bi.max()) + 1) + bi
    _, nij = np.unique(pairs, return_counts=True)

    def comb2(x):
        x = x.astype(np.float64)
        return float((x * (x - 1) / 2).sum())

    n = a.size
    sum_ij = comb2(nij)
    sum_a = comb2(np.bincount(ai))
    sum_b = comb2(np.bincount(bi))
    expected = sum_a * sum_b / (n * (n - 1) / 2)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return (sum_ij - expected) / (maximum - expected)
