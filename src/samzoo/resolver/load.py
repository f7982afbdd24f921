"""Build a ready-to-use SAM (or SamPredictor) from any model name.

Weights are read with ``torch.load(weights_only=True, mmap=True)`` and assigned to
a module built on the meta device (:func:`samzoo.models.build_sam`), so a warm
load costs about one read of the weights and never re-hashes them.
"""

from __future__ import annotations

import os

from ..errors import RunTimeFailure
from .local import Resolved
from .names import resolve
from .transfer import Progress


def load_sam(name: str | os.PathLike, device: str = "cpu", *, offline: bool | None = None,
             cache_dir: str | os.PathLike | None = None, hash: str | None = None, progress: Progress | None = None,
             return_resolved: bool = False):
    """A ``segment_anything`` ``Sam`` (MobileSAM's for vit_t) holding the weights of ``name``, in eval mode.

    ``name``: anything :func:`samzoo.resolver.resolve` accepts. With ``return_resolved`` returns
    ``(sam, Resolved)``.
    """
    from ..checkpoint import load_checkpoint
    from ..models import build_sam

    res = resolve(name, offline=offline, cache_dir=cache_dir, decoder=False, hash=hash, progress=progress,
                  infer=False)
    ckpt = load_checkpoint(res.encoder_path)
    if res.encoder is not None and ckpt.encoder != res.encoder:
        raise RunTimeFailure(
            f"{res.name}: the catalog says encoder {res.encoder} but {res.encoder_path.name} holds {ckpt.encoder} "
            "weights; fix the spec's encoder"
        )
    sam = build_sam(ckpt.encoder, ckpt.state_dict, device)
    if return_resolved:
        import dataclasses

        return sam, dataclasses.replace(res, encoder=ckpt.encoder)
    return sam


def load_predictor(name: str | os.PathLike, device: str = "cpu", **kwargs):
    """A ``segment_anything.SamPredictor`` around :func:`load_sam` (same arguments)."""
    from segment_anything import SamPredictor

    kwargs.pop("return_resolved", None)
    return SamPredictor(load_sam(name, device, **kwargs))


__all__ = ["Resolved", "load_predictor", "load_sam"]
