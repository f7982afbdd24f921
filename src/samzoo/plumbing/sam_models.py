"""SAM module registry: build a ``segment_anything`` Sam (MobileSAM for vit_t) for an encoder, fast.

``BUILDERS`` maps each encoder to a function that builds its untrained
module; the one SAM registry is ``build_sam_module`` of the architecture file
shipped in packages (``samzoo.architectures.sam_adaptor``), so a package and
the library build the same modules. :func:`build_sam` builds the module
with its parameters on the ``meta`` device (no memory, no random
initialisation that a checkpoint would immediately overwrite) and then
assigns the checkpoint's tensors in place, so building costs little more than
reading the weights. Buffers that are not in a state dict (pixel mean/std,
TinyViT's attention index tables) are still computed as usual.

Shapes: every encoder takes a ``B x 3 x 1024 x 1024`` float image (pixel
values 0..255, normalised inside the model) and returns ``B x 256 x 64 x 64``
image embeddings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

import torch
from torch import nn

from ..architectures.sam_adaptor import build_sam_module
from .errors import SamzooError

#: the encoders ``build_sam_module`` builds: segment_anything's ViTs and MobileSAM's TinyViT
ENCODERS = ("vit_h", "vit_l", "vit_b", "vit_t")


def _builder(encoder: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        try:
            return build_sam_module(encoder)
        except ImportError:  # pragma: no cover - depends on the environment
            if encoder != "vit_t":
                raise
            raise SamzooError(
                "vit_t needs the `mobile_sam` module; install it with `pip install mobilesam-mirror timm`"
            ) from None

    return build


#: encoder name -> function returning an (uninitialised or random) Sam module
BUILDERS: dict[str, Callable[[], nn.Module]] = {encoder: _builder(encoder) for encoder in ENCODERS}


@contextlib.contextmanager
def parameters_on_meta() -> Iterator[None]:
    """Within this context, every ``nn.Parameter`` a module registers is moved to the meta device.

    Initialisers then run on meta tensors (free); buffers stay real.
    """
    original = nn.Module.register_parameter

    def register(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        original(module, name, param)
        if param is not None and param.device.type != "meta":
            module._parameters[name] = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)

    nn.Module.register_parameter = register  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = original  # type: ignore[method-assign]


#: SAM's fixed input normalisation: the only buffers of the ViT models that are not in a state dict
_PIXEL_CONSTANTS = {"pixel_mean": (123.675, 116.28, 103.53), "pixel_std": (58.395, 57.12, 57.375)}


def _skeleton(encoder: str) -> nn.Module:
    """The module without weights: fully on meta for the ViT models (fastest), parameters only for vit_t.

    TinyViT (vit_t) computes index buffers at construction that no state dict holds, so its buffers
    must be real; the ViT models' only such buffers are the pixel constants, restored afterwards.
    """
    if encoder == "vit_t":
        with parameters_on_meta():
            return BUILDERS[encoder]()
    with torch.device("meta"):
        return BUILDERS[encoder]()


def _materialise_constants(sam: nn.Module) -> None:
    """Restore the pixel constants, switch to eval mode, and fail if any tensor is still empty."""
    for name, values in _PIXEL_CONSTANTS.items():
        buffer = sam._buffers.get(name)
        if buffer is not None and buffer.is_meta:
            sam.register_buffer(name, torch.tensor(values, dtype=torch.float32).view(-1, 1, 1), persistent=False)
    # eval(): TinyViT caches attention biases in a buffer ('ab') derived from its parameters when it
    # switches mode, so it must be derived from the loaded weights (before any device move)
    sam.eval()
    left = [n for n, t in [*sam.named_parameters(), *sam.named_buffers()] if t.is_meta]
    if left:
        raise SamzooError(f"the weights leave {len(left)} tensors of the model empty (e.g. {left[0]}); pass a complete SAM checkpoint")


def random_sam(encoder: str, seed: int = 0) -> nn.Module:
    """A randomly initialised Sam of the true architecture (for tests, demos and benchmarks)."""
    _check_encoder(encoder)
    torch.manual_seed(seed)
    return BUILDERS[encoder]().eval()


def build_sam(encoder: str, state_dict: Mapping[str, torch.Tensor], device: str | torch.device = "cpu") -> nn.Module:
    """Build a Sam for ``encoder`` holding ``state_dict`` (a plain SAM state dict), in eval mode.

    The module's parameters are the state dict's tensors (no copy when they are already on ``device``).
    Raises :class:`SamzooError` naming missing or unexpected keys.
    """
    _check_encoder(encoder)
    sam = _skeleton(encoder)
    try:
        result = sam.load_state_dict(state_dict, strict=False, assign=True)
    except RuntimeError as e:  # shape mismatches
        detail = next((line.strip() for line in str(e).splitlines() if "size mismatch" in line), str(e).splitlines()[0])
        raise SamzooError(
            f"the weights do not fit the {encoder} architecture ({detail[:200]}); "
            "check that the checkpoint is a SAM checkpoint of that encoder"
        ) from None
    problems = []
    if result.missing_keys:
        problems.append(f"missing {len(result.missing_keys)} keys (e.g. {result.missing_keys[0]})")
    if result.unexpected_keys:
        problems.append(f"unexpected {len(result.unexpected_keys)} keys (e.g. {result.unexpected_keys[0]})")
    if problems:
        raise SamzooError(
            f"the weights do not fit the {encoder} architecture: {'; '.join(problems)}. "
            "Check that the checkpoint is a SAM checkpoint of that encoder"
        )
    _materialise_constants(sam)
    return sam.to(device)


def _check_encoder(encoder: str) -> None:
    if encoder not in BUILDERS:
        raise SamzooError(f"unknown encoder {encoder!r}; choose one of {', '.join(BUILDERS)}")


def save_random_checkpoint(path, encoder: str, seed: int = 0) -> None:
    """Write the state dict of :func:`random_sam` to ``path`` (atomically). Never a publishable model."""
    import os
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:  # a file object: torch.save would otherwise name its records after tmp
            torch.save(random_sam(encoder, seed).state_dict(), f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
