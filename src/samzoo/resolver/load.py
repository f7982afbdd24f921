"""Build a ready-to-use SAM (or SamPredictor) from any model name, and get a model's AIS decoder back.

Weights are read with ``torch.load(weights_only=True, mmap=True)`` and assigned to
a module built on the meta device (:func:`samzoo.plumbing.sam_models.build_sam`), so a warm
load costs about one read of the weights and never re-hashes them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..plumbing.errors import RunTimeFailure, SamzooError
from .local import Resolved
from .by_name import resolve
from .transfer import Progress

if TYPE_CHECKING:
    import torch
    from segment_anything import SamPredictor
    from segment_anything.modeling import Sam


def load_sam(name: str | os.PathLike, device: str | None = None, *, offline: bool | None = None,
             cache_dir: str | os.PathLike | None = None, hash: str | None = None, progress: Progress | None = None,
             return_resolved: bool = False) -> Sam | tuple[Sam, Resolved]:
    """A ``segment_anything`` ``Sam`` (MobileSAM's for vit_t) holding the weights of ``name``, in eval mode.

    Args:
        name: anything :func:`samzoo.resolve` accepts: ``vit_b_lm``, ``noisy-ox/1.2``, a DOI or zoo page URL,
            a weights URL, a local checkpoint, a package zip or folder, ``collection.json#id``.
        device: ``None`` or ``"auto"`` (default): cuda when torch sees a GPU, else cpu; or ``cpu``, ``cuda``, ``cuda:N``.
        offline: never use the network (default: the ``SAMZOO_OFFLINE`` environment variable).
        cache_dir: the cache root (default: ``SAMZOO_CACHE_DIR`` or the user cache dir).
        hash: the expected ``alg:hex`` of a URL or local file given as ``name``.
        progress: ``progress(label)`` -> a tqdm-like bar per download (default: no bars).
        return_resolved: also return the :class:`Resolved` paths.

    Returns:
        The ``Sam`` module, or ``(sam, resolved)`` with ``return_resolved``.

    Raises:
        UnknownModelError: an unknown name (with suggestions).
        ArgumentError: a bad argument (``device`` cuda without a GPU, a malformed ``hash``).
        RunTimeFailure: a download or hash check failed, or the weights are not the encoder the catalog says.

    Example::

        sam = samzoo.load_sam("vit_b_lm")            # downloaded once, verified, cached
        sam = samzoo.load_sam("noisy-ox", device="cpu", offline=True)
    """
    from ..plumbing.sam_checkpoint import load_checkpoint
    from ..plumbing.devices import pick_device
    from ..plumbing.sam_models import build_sam

    device = pick_device(device)
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


def load_predictor(name: str | os.PathLike, device: str | None = None, **kwargs: Any) -> SamPredictor:
    """A ``segment_anything.SamPredictor`` around :func:`load_sam` (same arguments; ``device`` defaults to auto).

    Example::

        predictor = samzoo.load_predictor("vit_b_lm")
        predictor.set_image(image)                                  # H x W x 3 uint8
        masks, scores, _ = predictor.predict(box=np.array([x0, y0, x1, y1]))
    """
    from segment_anything import SamPredictor

    kwargs.pop("return_resolved", None)
    return SamPredictor(load_sam(name, device, **kwargs))


def load_decoder(name: str | os.PathLike, *, offline: bool | None = None, cache_dir: str | os.PathLike | None = None,
                 progress: Progress | None = None) -> dict[str, torch.Tensor]:
    """The instance-segmentation (AIS) decoder's state dict of ``name`` (a UNETR on SAM's encoder).

    Args:
        name: a model that has a decoder (e.g. ``vit_b_lm``, ``noisy-ox``), a package with a ``*decoder*.pt``
            attachment, or a fine-tuning checkpoint holding ``decoder_state``.
        offline, cache_dir, progress: as for :func:`load_sam`.

    Returns:
        The decoder's tensors (CPU), read with ``weights_only=True``.

    Raises:
        SamzooError: the model has no decoder (one line naming it); the errors of :func:`load_sam` otherwise.

    Example::

        sam = samzoo.load_sam("vit_b_lm")
        decoder_state = samzoo.load_decoder("vit_b_lm")
    """
    from ..plumbing.sam_checkpoint import load_checkpoint, load_state_dict_file

    res = resolve(name, offline=offline, cache_dir=cache_dir, decoder=True, progress=progress, infer=False)
    if res.decoder_path is not None:
        return load_state_dict_file(res.decoder_path)
    inside = load_checkpoint(res.encoder_path).decoder_state
    if inside:
        return inside
    raise SamzooError(f"{res.name} has no instance-segmentation decoder; use a model that has one "
                      "(`samzoo info NAME` lists weights.decoder), or prompt-based segmentation")


__all__ = ["Resolved", "load_decoder", "load_predictor", "load_sam"]
