"""Computing the test outputs so that their bytes do not depend on the thread count.

Every part of a test-output computation runs with a fixed number of intra-op threads, whatever
``OMP_NUM_THREADS``, ``torch.set_num_threads``, a ``--jobs`` worker or a Dask worker set before:
ATen splits an elementwise kernel into one chunk per thread, and a chunk's last elements take the
scalar path, whose ``erf`` (GELU) rounds differently from the vectorised one, so the chunk
boundaries, i.e. the thread count, change the bits (vit_t embeddings with 3 or 7 threads differ
from those with 1, 2 or 4 on an AVX2 machine); MKL's matrix products and oneDNN's kernels split
their sums by thread as well (1 vs 2 threads differ on AVX-512 machines). With the count fixed,
the bytes depend only on the machine's kernels (its instruction set): see docs/build.md, "Reproducibility".
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

#: intra-op threads of the passes that make test outputs (image encoder, AIS decoder; the prompt decoder runs on 1)
TEST_OUTPUT_THREADS = 2


@contextlib.contextmanager
def fixed_threads(n: int) -> Iterator[None]:
    """Compute with exactly ``n`` intra-op threads, whatever the machine or OMP_NUM_THREADS says."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def without_onednn() -> Iterator[None]:
    """Convolutions by PyTorch's own kernels, not oneDNN's (mkldnn), inside the block."""
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
def encoder_pass() -> Iterator[None]:
    """The settings of a test-output encoder pass: ``TEST_OUTPUT_THREADS`` threads, PyTorch's own convolutions."""
    with without_onednn(), fixed_threads(TEST_OUTPUT_THREADS):
        yield


def one_thread() -> contextlib.AbstractContextManager[None]:
    """One intra-op thread (the prompt decoder's small products, milliseconds)."""
    return fixed_threads(1)
