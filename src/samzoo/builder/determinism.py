"""Computing the test outputs so that their bytes do not depend on the thread count."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def thread_independent() -> Iterator[None]:
    """Run convolutions without oneDNN (mkldnn) while computing the test outputs.

    oneDNN's single-threaded convolution kernels round differently from its multi-threaded ones
    (TinyViT's 1x1 convolutions differ by ~3e-8 with 1 vs 2 threads), so the test outputs, and the
    package's sha256, would depend on the thread count (e.g. ``build --all --jobs 2``). PyTorch's
    own convolutions give the same bytes with 1 and 2 threads, at the same speed (measured on vit_t
    and vit_b). The mask decoder (milliseconds) runs on one thread for the same reason. Packages
    stay valid either way: bioimageio's reproduction test has a tolerance.
    """
    import torch

    with warnings.catch_warnings():  # torch warns about Intel-GPU TF32 whenever these flags are set
        warnings.simplefilter("ignore", UserWarning)
        context = torch.backends.mkldnn.flags(enabled=False)
        context.__enter__()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            context.__exit__(None, None, None)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Compute with one intra-op thread (for small products whose reduction order depends on threads)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
