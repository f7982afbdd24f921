"""Which torch device to run on: ``None`` / ``"auto"`` mean cuda when torch sees a GPU, else cpu."""

from __future__ import annotations

from .errors import ArgumentError


def pick_device(device: object = None, argument: str = "device") -> str:
    """A torch device name for ``device``: ``None`` or ``"auto"`` -> ``cuda`` if available else ``cpu``;
    ``cpu``, ``cuda``, ``cuda:N`` (or a ``torch.device``) as given.

    Raises :class:`~samzoo.plumbing.errors.ArgumentError` (naming ``argument``) for an unknown device, or cuda without a GPU.
    """
    name = "auto" if device is None else str(device)
    if name not in ("cpu", "cuda", "auto") and not name.startswith("cuda:"):
        raise ArgumentError(argument, f"{name!r} is not a device; choose cpu, cuda, cuda:N or auto")
    if name == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda" if name == "auto" else name
    if name == "auto":
        return "cpu"
    raise ArgumentError(argument, f"{name}: torch sees no CUDA GPU on this machine; use cpu or auto")
